import { toCsv } from '../../reports/csv.js';
import { renderPdf } from '../../reports/pdf.js';
import { buildReport, MAX_PDF_ROWS, MAX_REPORT_ROWS } from '../../reports/queries.js';
import { localDay, localiseCell, localIso, offsetText, resolveTimeZone } from '../../reports/time-zone.js';
import { actorOf, type Handlers } from '../context.js';

export const reportsHandlers: Pick<Handlers, 'reports.export'> = {
  'reports.export': async (ctx, p) => {
    const progress = (done: number, total: number) => ctx.progress('report', done, total);
    const pdf = p.format === 'pdf';
    // Reading rows is quick; drawing a PDF is the slow part, so that is what a PDF's progress follows.
    const report = buildReport(
      ctx.engine.store,
      p.kind,
      { from: p.from, to: p.to, cameras: p.cameras },
      pdf ? { maxRows: MAX_PDF_ROWS } : { onProgress: progress, maxRows: MAX_REPORT_ROWS },
    );
    // Times in the site's zone, as the console shows them; the file name's days are that zone's
    // too (a UTC day could be one off from the range the guard picked).
    const zone = resolveTimeZone(p.time_zone);
    const rows = report.rows.map((r) => r.map((c) => localiseCell(c, zone)));
    const filename = `vigil-${p.kind}-${localDay(report.from, zone)}-to-${localDay(report.to, zone)}.${p.format}`;
    const data = pdf
      ? await renderPdf({
          title: `Vigil - ${report.title}`,
          meta: [
            ['From', localIso(report.from, zone)],
            ['To', localIso(report.to, zone)],
            ['Time zone', `${zone} (UTC${offsetText(Date.parse(report.to), zone)})`],
            ['Cameras', p.cameras?.length && p.kind !== 'audit' ? p.cameras.join(', ') : 'all'],
            ['Rows', String(report.rows.length)],
            ['Generated', localIso(new Date().toISOString(), zone)],
          ],
          tables: [{ columns: report.columns, rows, empty: 'Nothing in this range.' }],
          landscape: true,
          onProgress: progress,
        })
      : Buffer.from(
          toCsv(
            report.columns.map((c) => c.header),
            rows,
          ),
          'utf8',
        );
    ctx.engine.store.audit.append({
      actor: actorOf(ctx),
      action: 'data_exported',
      details: {
        kind: p.kind,
        format: p.format,
        from: report.from,
        to: report.to,
        cameras: p.cameras?.length ? p.cameras.join(',') : null,
        rows: report.rows.length,
      },
    });
    return {
      filename,
      mime: pdf ? 'application/pdf' : 'text/csv; charset=utf-8',
      data: data.toString('base64'),
      rows: report.rows.length,
    };
  },
};
