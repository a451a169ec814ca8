import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';

const FONTS = join(
  dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')),
  'standard_fonts/',
);

/** The text of every page of a PDF, as a reader would extract it (tests only). */
export async function pdfText(pdf: Uint8Array): Promise<{ pages: number; text: string }> {
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(pdf),
    isEvalSupported: false,
    standardFontDataUrl: FONTS,
  }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(content.items.map((it) => ('str' in it ? it.str : '')).join(' '));
  }
  await doc.destroy();
  // Wrapped cells come back as separate items: whitespace is collapsed so phrases can be matched.
  return { pages: doc.numPages, text: pages.join('\n').replace(/\s+/g, ' ') };
}

/**
 * A strict RFC 4180 reader (tests only): fields separated by commas, records by CRLF, quoted
 * fields may hold commas, line breaks and doubled quotes. Throws on anything malformed.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\r')
        throw new Error(`text after a quoted field at ${i}`);
      continue;
    }
    const ch = text[i]!;
    if (ch === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (ch === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`bare CR at ${i}`);
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (ch === '\n' || ch === '"') {
      throw new Error(`unquoted ${JSON.stringify(ch)} at ${i}`);
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || record.length) throw new Error('last record does not end with CRLF');
  return records;
}
