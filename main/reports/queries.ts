import { VigilError } from '../errors.js';
import type { ReportKind } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import type { Cell } from './csv.js';

export type { ReportKind };

export interface ReportRange {
  /** Dates or times; a bare date as `to` means the end of that day (UTC). */
  from: string;
  to: string;
  /** Only these cameras; all when absent or empty. Does not apply to the audit log. */
  cameras?: readonly string[] | undefined;
}

export interface ReportColumn {
  header: string;
  /** Relative width in the PDF. */
  weight: number;
}

export interface Report {
  kind: ReportKind;
  title: string;
  from: string;
  to: string;
  columns: readonly ReportColumn[];
  rows: Cell[][];
}

/** Bigger reports are refused: a narrower range is quicker to read and to render. */
export const MAX_REPORT_ROWS = 100_000;
/** A PDF takes about 2 ms a row to draw: 20,000 rows are some 400 pages and 40 s. */
export const MAX_PDF_ROWS = 20_000;
/** How often a long report tells the console how far it got. */
export const PROGRESS_EVERY = 500;

const DAY_MS = 86_400_000;

/** The range as ISO times comparable with the stored ones; `to` inclusive. */
export function normaliseRange(from: string, to: string): { from: string; to: string } {
  const f = Date.parse(from);
  let t = Date.parse(to);
  if (Number.isNaN(f) || Number.isNaN(t))
    throw new VigilError('INVALID_ARGUMENT', 'A report needs a start and an end date, e.g. 2024-05-01.');
  if (/^\d{4}-\d{2}-\d{2}$/.test(to.trim())) t += DAY_MS - 1;
  if (f > t) throw new VigilError('INVALID_ARGUMENT', 'The report range ends before it starts.');
  return { from: new Date(f).toISOString(), to: new Date(t).toISOString() };
}

/** How a report reads: its title, columns and how a stored row becomes cells (the rows are the store's). */
interface Spec {
  title: string;
  columns: ReportColumn[];
  map(r: Record<string, unknown>): Cell[];
}
const str = (v: unknown): Cell => (v === null || v === undefined ? null : (v as string | number));

/** Audit details are ids and counts by contract; anything else (a long or nested value) is dropped. */
export function safeAuditDetails(details: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return '';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return '';
  const kept: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (v === null || typeof v === 'number' || typeof v === 'boolean') kept.push(`${k}=${String(v)}`);
    else if (typeof v === 'string') kept.push(`${k}=${v.length <= 200 ? v : '[omitted]'}`);
    else kept.push(`${k}=[omitted]`);
  }
  return kept.join('; ');
}

const SPECS: Record<ReportKind, Spec> = {
  appearances: {
    title: 'Appearances',
    columns: [
      { header: 'ID', weight: 0.6 },
      { header: 'First seen', weight: 1.6 },
      { header: 'Last seen', weight: 1.6 },
      { header: 'Camera', weight: 1 },
      { header: 'Kind', weight: 0.7 },
      { header: 'Person', weight: 1.9 },
      { header: 'Name', weight: 1.8 },
      { header: 'Confidence', weight: 0.8 },
    ],
    map: (r) => [
      str(r.appearance_id),
      str(r.first_seen),
      str(r.last_seen),
      str(r.camera_id),
      str(r.person_kind),
      str(r.person_id),
      // An unknown person's name is their UNKNOWN_ id; a restricted member's name is not processed.
      r.person_kind === 'unknown'
        ? str(r.person_id)
        : r.member_status === 'restricted'
          ? '[restricted]'
          : str(r.name),
      Math.round(Number(r.confidence) * 1e4) / 1e4,
    ],
  },
  unknowns: {
    title: 'Unknown persons',
    columns: [
      { header: 'Unknown ID', weight: 2 },
      { header: 'Status', weight: 0.9 },
      { header: 'First seen', weight: 1.6 },
      { header: 'Last seen', weight: 1.6 },
      { header: 'Appearances', weight: 0.9 },
      { header: 'In range', weight: 0.8 },
      { header: 'Cameras', weight: 1.4 },
      { header: 'Identified as', weight: 1.4 },
    ],
    map: (r) => [
      str(r.unknown_id),
      str(r.status),
      str(r.first_seen),
      str(r.last_seen),
      str(r.appearance_count),
      str(r.in_range),
      (JSON.parse(String(r.cameras)) as string[]).join('; '),
      str(r.identified_as),
    ],
  },
  alerts: {
    title: 'Alerts',
    columns: [
      { header: 'ID', weight: 0.5 },
      { header: 'Created', weight: 1.6 },
      { header: 'Type', weight: 1.3 },
      { header: 'Priority', weight: 0.8 },
      { header: 'Status', weight: 1 },
      { header: 'Camera', weight: 1 },
      { header: 'Person', weight: 1.8 },
      { header: 'Message', weight: 3 },
      { header: 'Acknowledged by', weight: 1.2 },
      { header: 'Resolved', weight: 1.6 },
    ],
    map: (r) => [
      str(r.alert_id),
      str(r.created_at),
      str(r.type),
      str(r.priority),
      str(r.status),
      str(r.camera_id),
      str(r.person_id),
      str(r.message),
      str(r.acknowledged_by),
      str(r.resolved_at),
    ],
  },
  audit: {
    title: 'Audit log',
    columns: [
      { header: 'ID', weight: 0.5 },
      { header: 'At', weight: 1.6 },
      { header: 'Actor', weight: 1.3 },
      { header: 'Action', weight: 1.5 },
      { header: 'Subject', weight: 1.9 },
      { header: 'Details', weight: 3.2 },
    ],
    map: (r) => [
      str(r.audit_id),
      str(r.at),
      str(r.actor),
      str(r.action),
      str(r.subject),
      safeAuditDetails(String(r.details)),
    ],
  },
};

/**
 * The rows of one report over [from, to]. Biometric data never enters a report: appearances carry
 * ids, times and scores, the audit log ids and counts. `onProgress` is told every PROGRESS_EVERY
 * rows and at the end; more than `maxRows` rows are refused before any is read.
 */
export function buildReport(
  store: Store,
  kind: ReportKind,
  range: ReportRange,
  opts: { onProgress?: (done: number, total: number) => void; maxRows?: number } = {},
): Report {
  const { onProgress, maxRows = MAX_REPORT_ROWS } = opts;
  const spec = SPECS[kind];
  const { from, to } = normaliseRange(range.from, range.to);
  const query = { from, to, cameras: range.cameras?.length ? range.cameras : null };
  const total = store.reports.count(kind, query);
  if (total > maxRows) {
    throw new VigilError(
      'INVALID_ARGUMENT',
      `The ${kind} report would have ${total} rows, more than ${maxRows}; choose a shorter range or fewer cameras.`,
    );
  }
  const rows: Cell[][] = [];
  for (const r of store.reports.rows(kind, query)) {
    rows.push(spec.map(r));
    if (onProgress && rows.length % PROGRESS_EVERY === 0) onProgress(rows.length, total);
  }
  onProgress?.(rows.length, rows.length);
  return { kind, title: spec.title, from, to, columns: spec.columns, rows };
}
