import type { SqlPort } from './sql-port.js';
import type { ReportKind, ReportQuery, ReportRepository } from './repositories.js';

interface Spec {
  /** FROM ... WHERE ... shared by the count and the rows; binds @from, @to and @cameras. */
  body(cameras: boolean): string;
  select: string;
  order: string;
}

const cameraIn = (col: string) => `${col} IN (SELECT value FROM json_each(@cameras))`;

const SPECS: Record<ReportKind, Spec> = {
  appearances: {
    select: `a.appearance_id, a.first_seen, a.last_seen, a.camera_id, a.person_kind, a.person_id, a.confidence,
      m.name AS name, m.status AS member_status`,
    body: (cameras) => `FROM appearances a
      LEFT JOIN members m ON a.person_kind = 'member' AND m.member_id = a.person_id
      WHERE a.first_seen <= @to AND a.last_seen >= @from${cameras ? ` AND ${cameraIn('a.camera_id')}` : ''}`,
    order: 'a.first_seen, a.appearance_id',
  },
  unknowns: {
    select: `u.unknown_id, u.status, u.first_seen, u.last_seen, u.appearance_count, u.cameras, u.identified_as,
      (SELECT COUNT(*) FROM appearances a WHERE a.person_kind = 'unknown' AND a.person_id = u.unknown_id
        AND a.first_seen <= @to AND a.last_seen >= @from AND (@cameras IS NULL OR ${cameraIn('a.camera_id')})) AS in_range`,
    body: (cameras) =>
      `FROM unknown_persons u WHERE u.first_seen <= @to AND u.last_seen >= @from${
        cameras ? ` AND EXISTS (SELECT 1 FROM json_each(u.cameras) c WHERE ${cameraIn('c.value')})` : ''
      }`,
    order: 'u.first_seen, u.unknown_id',
  },
  alerts: {
    select: 'al.*',
    body: (cameras) =>
      `FROM alerts al WHERE al.created_at >= @from AND al.created_at <= @to${cameras ? ` AND ${cameraIn('al.camera_id')}` : ''}`,
    order: 'al.created_at, al.alert_id',
  },
  audit: {
    select: 'l.audit_id, l.at, l.actor, l.action, l.subject, l.details',
    body: () => 'FROM audit_log l WHERE l.at >= @from AND l.at <= @to',
    order: 'l.audit_id',
  },
};

const params = (q: ReportQuery) => ({
  from: q.from,
  to: q.to,
  cameras: q.cameras?.length ? JSON.stringify(q.cameras) : null,
});

/** The rows of the exported reports (appearances, unknown persons, alerts, audit log) from one SQLite store. */
export class SqliteReports implements ReportRepository {
  constructor(private readonly db: SqlPort) {}

  count(kind: ReportKind, q: ReportQuery): number {
    const p = params(q);
    return this.db
      .prepare(`SELECT COUNT(*) ${SPECS[kind].body(p.cameras !== null)}`)
      .pluck()
      .get(p) as number;
  }

  rows(kind: ReportKind, q: ReportQuery): Iterable<Record<string, unknown>> {
    const spec = SPECS[kind];
    const p = params(q);
    return this.db
      .prepare(`SELECT ${spec.select} ${spec.body(p.cameras !== null)} ORDER BY ${spec.order}`)
      .iterate(p) as Iterable<Record<string, unknown>>;
  }
}
