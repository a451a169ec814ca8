import PDFDocument from 'pdfkit';
import type { Cell } from './csv.js';

export interface PdfColumn {
  header: string;
  /** Relative width: the columns share the page width in proportion to these. */
  weight: number;
}

export interface PdfTable {
  /** A heading above the table; omitted when the document is one table. */
  heading?: string;
  columns: readonly PdfColumn[];
  rows: readonly (readonly Cell[])[];
  /** Shown instead of an empty table. */
  empty?: string;
}

export interface PdfSpec {
  title: string;
  /** Label and value lines under the title (range, generated at, subject id...). */
  meta: readonly (readonly [string, string])[];
  tables: readonly PdfTable[];
  landscape?: boolean;
  /** Told every ROWS_PER_SLICE table rows drawn (all tables together) and at the end. */
  onProgress?: (done: number, total: number) => void;
}

const MARGIN = 40;
const FONT_SIZE = 8;
const PAD = 3;
/** A cell is wrapped, never cut, up to this length: a runaway value must not fill pages. */
const MAX_CELL = 600;
/**
 * Drawing is CPU-bound (about 2 ms a row); the event loop gets a turn after each slice so that
 * cameras keep running and progress events reach the console while a long report renders.
 */
export const ROWS_PER_SLICE = 500;

// The built-in Helvetica covers WinAnsi only; outside it pdfkit would draw the wrong glyphs, so those
// characters become "?" (the JSON and CSV exports keep the exact text).
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

function printable(value: Cell): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (s.length > MAX_CELL) s = `${s.slice(0, MAX_CELL)}…`;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\n') out += ch;
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += ' ';
    else if (c <= 0xff || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else out += '?';
  }
  return out;
}

/**
 * Renders a title, a block of label/value lines and tables with column headers, repeating the
 * header row on every page a table spans and numbering the pages. Resolves to the PDF's bytes.
 */
export async function renderPdf(spec: PdfSpec): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: spec.landscape ? 'landscape' : 'portrait',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: printable(spec.title), Creator: 'Vigil', Producer: 'Vigil' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = MARGIN;
  const usable = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN;

  doc.font('Helvetica-Bold').fontSize(16).text(printable(spec.title), left, MARGIN, { width: usable });
  doc.moveDown(0.5);
  doc.fontSize(FONT_SIZE + 1);
  for (const [label, value] of spec.meta) {
    doc.font('Helvetica-Bold').text(`${printable(label)}: `, { continued: true, width: usable });
    doc.font('Helvetica').text(printable(value));
  }

  const total = spec.tables.reduce((n, t) => n + t.rows.length, 0);
  const progress = { done: 0, total, report: spec.onProgress };
  for (const table of spec.tables) {
    doc.moveDown(1);
    if (table.heading) {
      if (doc.y + 40 > bottom()) doc.addPage();
      doc.font('Helvetica-Bold').fontSize(11).text(printable(table.heading), left, doc.y, { width: usable });
      doc.moveDown(0.3);
    }
    if (table.rows.length === 0) {
      doc
        .font('Helvetica-Oblique')
        .fontSize(FONT_SIZE + 1)
        .text(printable(table.empty ?? 'No rows.'), left);
      continue;
    }
    await drawTable(doc, table, left, usable, bottom, progress);
  }

  // Page numbers go in the bottom margin; with the margin zeroed pdfkit does not start a new page.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const saved = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor('#666666')
      .text(
        `${printable(spec.title)} - page ${i + 1} of ${range.count}`,
        left,
        doc.page.height - MARGIN / 2 - 4,
        {
          width: usable,
          align: 'center',
          lineBreak: false,
        },
      );
    doc.page.margins.bottom = saved;
  }
  spec.onProgress?.(total, total);
  doc.end();
  return done;
}

async function drawTable(
  doc: PDFKit.PDFDocument,
  table: PdfTable,
  left: number,
  usable: number,
  bottom: () => number,
  progress: { done: number; total: number; report: PdfSpec['onProgress'] },
): Promise<void> {
  const total = table.columns.reduce((s, c) => s + c.weight, 0);
  const widths = table.columns.map((c) => (c.weight / total) * usable);
  const xs = widths.map((_, i) => left + widths.slice(0, i).reduce((s, w) => s + w, 0));
  let y = doc.y;

  const row = (cells: readonly string[], bold: boolean): void => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
    // Most cells fit on one line, and measuring a width is far cheaper than wrapping.
    const lineHeight = doc.currentLineHeight(true);
    const fits = cells.map((c, i) => !c.includes('\n') && doc.widthOfString(c) <= widths[i]! - 2 * PAD);
    const cellHeight = (c: string, i: number) =>
      fits[i] ? lineHeight : doc.heightOfString(c || ' ', { width: widths[i]! - 2 * PAD });
    // A row never outgrows half a page: a longer cell is clipped with an ellipsis.
    const h = Math.min(Math.max(...cells.map(cellHeight)) + 2 * PAD, (bottom() - MARGIN) / 2);
    if (y + h > bottom()) {
      doc.addPage();
      y = MARGIN;
      if (!bold) row(headers, true);
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
    }
    if (bold) doc.rect(left, y, usable, h).fill('#e8e8e8');
    doc.fillColor('#000000');
    cells.forEach((c, i) =>
      doc.text(
        c,
        xs[i]! + PAD,
        y + PAD,
        fits[i] ? { lineBreak: false } : { width: widths[i]! - 2 * PAD, height: h - 2 * PAD, ellipsis: true },
      ),
    );
    doc
      .moveTo(left, y + h)
      .lineTo(left + usable, y + h)
      .lineWidth(0.3)
      .strokeColor('#bbbbbb')
      .stroke();
    y += h;
  };

  const headers = table.columns.map((c) => printable(c.header));
  row(headers, true);
  for (const r of table.rows) {
    row(r.map(printable), false);
    if (++progress.done % ROWS_PER_SLICE === 0) {
      progress.report?.(progress.done, progress.total);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  doc.x = left;
  doc.y = y;
}
