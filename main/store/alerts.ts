import type { SqlPort } from './sql-port.js';
import { withoutOp } from './appearances.js';
import type { AlertFilter, AlertRecord, AlertRepository, StoredAlert } from './repositories.js';
import type { PersonKind } from './vectors.js';

/**
 * Alerts with who and where in words: the member's name (the unknown's id), the camera's name and
 * whether the unknown's face crop exists.
 */
const ALERT_VIEW = `SELECT a.*,
    CASE WHEN a.person_kind = 'member' THEN COALESCE(m.name, a.person_id) ELSE a.person_id END AS person_name,
    CASE WHEN a.camera_id IS NULL THEN NULL ELSE COALESCE(c.name, a.camera_id) END AS camera_name,
    CASE WHEN a.person_kind = 'unknown' AND EXISTS (SELECT 1 FROM unknown_crops k WHERE k.unknown_id = a.person_id)
      THEN 1 ELSE 0 END AS has_crop
  FROM alerts a
  LEFT JOIN members m ON a.person_kind = 'member' AND m.member_id = a.person_id
  LEFT JOIN cameras c ON c.camera_id = a.camera_id`;

type AlertViewRow = Omit<AlertRecord, 'has_crop'> & { has_crop: number };
const toRecord = (r: AlertViewRow): AlertRecord => withoutOp({ ...r, has_crop: r.has_crop === 1 });

export class SqliteAlerts implements AlertRepository {
  constructor(private readonly db: SqlPort) {}

  insert(a: Parameters<AlertRepository['insert']>[0]): number {
    const info = this.db
      .prepare(
        `INSERT INTO alerts (type, priority, status, person_kind, person_id, camera_id, message, created_at, op_id)
           VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.type, a.priority, a.personKind, a.personId, a.cameraId, a.message, a.createdAt, a.opId ?? null);
    return Number(info.lastInsertRowid);
  }

  idOfOp(opId: string): number | undefined {
    return this.db.prepare('SELECT alert_id FROM alerts WHERE op_id = ?').pluck().get(opId) as
      number | undefined;
  }

  acknowledge(id: number, by: string, notes: string | null, at: string): boolean {
    return (
      this.db
        .prepare(
          "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, notes = COALESCE(?, notes) WHERE alert_id = ? AND status = 'open'",
        )
        .run(at, by, notes, id).changes > 0
    );
  }

  resolve(id: number, notes: string | null, at: string): boolean {
    return (
      this.db
        .prepare(
          "UPDATE alerts SET status = 'resolved', resolved_at = ?, notes = COALESCE(?, notes) WHERE alert_id = ? AND status != 'resolved'",
        )
        .run(at, notes, id).changes > 0
    );
  }

  resolveStrangerVisit(unknownId: string, cameraId: string, since: string, note: string, at: string): void {
    this.db
      .prepare(
        `UPDATE alerts SET status = 'resolved', resolved_at = ?, notes = COALESCE(notes || ' ', '') || ?
           WHERE person_kind = 'unknown' AND person_id = ? AND camera_id = ? AND status != 'resolved'
             AND type IN ('new_unknown', 'recurring_unknown') AND created_at >= ?`,
      )
      .run(at, note, unknownId, cameraId, since);
  }

  unresolvedOf(kind: PersonKind, personId: string): number[] {
    return this.db
      .prepare("SELECT alert_id FROM alerts WHERE person_kind = ? AND person_id = ? AND status != 'resolved'")
      .pluck()
      .all(kind, personId) as number[];
  }

  resolveAllOf(kind: PersonKind, personId: string, note: string, at: string): void {
    this.db
      .prepare(
        `UPDATE alerts SET status = 'resolved', resolved_at = ?,
       notes = CASE WHEN notes IS NULL OR notes = '' THEN ? ELSE notes || ' · ' || ? END
     WHERE person_kind = ? AND person_id = ? AND status != 'resolved'`,
      )
      .run(at, note, note, kind, personId);
  }

  resolvedAmong(ids: readonly number[]): number[] {
    return this.db
      .prepare(
        `SELECT alert_id FROM alerts WHERE status = 'resolved' AND alert_id IN (${ids.map(() => '?').join(',')})`,
      )
      .pluck()
      .all(...ids) as number[];
  }

  get(id: number): AlertRecord | undefined {
    const r = this.db.prepare(`${ALERT_VIEW} WHERE a.alert_id = ?`).get(id) as AlertViewRow | undefined;
    return r && toRecord(r);
  }

  list(filter: AlertFilter): AlertRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [col, v] of [
      ['a.type', filter.type],
      ['a.priority', filter.priority],
      ['a.status', filter.status],
      ['a.camera_id', filter.camera_id],
    ] as const) {
      if (v) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    }
    const sql = `${ALERT_VIEW} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.created_at DESC, a.alert_id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit) as AlertViewRow[]).map(toRecord);
  }

  all(): StoredAlert[] {
    return (
      this.db.prepare('SELECT * FROM alerts ORDER BY created_at DESC, alert_id DESC').all() as StoredAlert[]
    ).map(withoutOp);
  }
}
