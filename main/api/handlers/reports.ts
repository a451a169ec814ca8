import { appendAudit } from '../../store/audit.js';
import { toCsv } from '../../reports/csv.js';
import { renderPdf } from '../../reports/pdf.js';
import { buildReport, MAX_PDF_ROWS, MAX_REPORT_ROWS } from '../../reports/queries.js';
import { actorOf, type Handlers } from '../context.js';

export const reportsHandlers: Pick<Handlers, 'reports.export'> = {
  'reports.export': async (ctx, p) => {
    const progress = (done: number, total: number) => ctx.progress('report', done, total);
    const pdf = p.format === 'pdf';
    // Reading rows is quick; drawing a PDF is the slow part, so that is what a PDF's progress follows.
    const report = buildReport(
      ctx.engine.db,
      p.kind,
      { from: p.from, to: p.to, cameras: p.cameras },
      pdf ? { maxRows: MAX_PDF_ROWS } : { onProgress: progress, maxRows: MAX_REPORT_ROWS },
    );
    const day = (iso: string) => iso.slice(0, 10);
    const filename = `vigil-${p.kind}-${day(report.from)}-to-${day(report.to)}.${p.format}`;
    const data = pdf
      ? await renderPdf({
          title: `Vigil - ${report.title}`,
          meta: [
            ['From', report.from],
            ['To', report.to],
            ['Cameras', p.cameras?.length && p.kind !== 'audit' ? p.cameras.join(', ') : 'all'],
            ['Rows', String(report.rows.length)],
            ['Generated', new Date().toISOString()],
          ],
          tables: [{ columns: report.columns, rows: report.rows, empty: 'Nothing in this range.' }],
          landscape: true,
          onProgress: progress,
        })
      : Buffer.from(
          toCsv(
            report.columns.map((c) => c.header),
            report.rows,
          ),
          'utf8',
        );
    appendAudit(ctx.engine.db, {
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
