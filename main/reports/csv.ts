/** A cell value as reports produce it. */
export type Cell = string | number | boolean | null | undefined;

// Spreadsheets run a cell as a formula when it starts with one of these (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes doubled.
 * Text starting like a formula gets a leading apostrophe, which spreadsheets show as text; numbers
 * are left alone because only text can carry a formula and "-0.5" must stay a number.
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A whole CSV document: header line, then one line per row, CRLF line ends (RFC 4180). It starts
 * with a UTF-8 byte-order mark so that Excel reads names with accents correctly.
 */
export function toCsv(headers: readonly string[], rows: Iterable<readonly Cell[]>): string {
  const lines = [headers.map(csvCell).join(',')];
  for (const r of rows) lines.push(r.map(csvCell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
