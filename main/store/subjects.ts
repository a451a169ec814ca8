import { sqliteOf, type SqlPort } from './sql-port.js';
import type { ConsentRecord, SubjectAppearance, SubjectRepository, SubjectScalar } from './repositories.js';
import type { UnknownStatus } from './unknowns.js';
import type { PersonKind } from './vectors.js';

/** `col` is one of the ids of a JSON array bound as the parameter. */
const inIds = (col: string) => `${col} IN (SELECT value FROM json_each(?))`;

/** The rows of data-subject requests (export, erasure, consent) in one SQLite store. */
export class SqliteSubjects implements SubjectRepository {
  constructor(private readonly db: SqlPort) {}

  linkedUnknowns(memberId: string): string[] {
    return this.db
      .prepare('SELECT unknown_id FROM unknown_persons WHERE identified_as = ? ORDER BY unknown_id')
      .pluck()
      .all(memberId) as string[];
  }

  personal(kind: PersonKind, id: string): Record<string, SubjectScalar> | null {
    const row =
      kind === 'member'
        ? this.db.prepare('SELECT * FROM members WHERE member_id = ?').get(id)
        : this.db.prepare('SELECT * FROM unknown_persons WHERE unknown_id = ?').get(id);
    return (row as Record<string, SubjectScalar> | undefined) ?? null;
  }

  templates(ids: readonly string[]): { created_at: string; is_centroid: number }[] {
    return this.db
      .prepare(
        `SELECT created_at, is_centroid FROM embeddings WHERE ${inIds('person_id')} ORDER BY created_at, embedding_id`,
      )
      .all(JSON.stringify(ids)) as { created_at: string; is_centroid: number }[];
  }

  appearances(ids: readonly string[]): SubjectAppearance[] {
    return this.db
      .prepare(
        `SELECT appearance_id, person_id, camera_id, source, first_seen, last_seen, confidence
             FROM appearances WHERE ${inIds('person_id')} ORDER BY first_seen, appearance_id`,
      )
      .all(JSON.stringify(ids)) as SubjectAppearance[];
  }

  alerts(ids: readonly string[]): ReturnType<SubjectRepository['alerts']> {
    return this.db
      .prepare(
        `SELECT alert_id, type, priority, status, camera_id, message, created_at
             FROM alerts WHERE ${inIds('person_id')} ORDER BY created_at, alert_id`,
      )
      .all(JSON.stringify(ids)) as ReturnType<SubjectRepository['alerts']>;
  }

  consents(id: string): ConsentRecord[] {
    return this.db
      .prepare('SELECT * FROM consents WHERE subject_id = ? ORDER BY consent_id')
      .all(id) as ConsentRecord[];
  }

  openConsents(id: string): { consent_id: number; text: string }[] {
    return this.db
      .prepare('SELECT consent_id, text FROM consents WHERE subject_id = ? AND withdrawn_at IS NULL')
      .all(id) as { consent_id: number; text: string }[];
  }

  addConsent(id: string, text: string, method: string, at: string, by: string): number {
    return Number(
      this.db
        .prepare('INSERT INTO consents (subject_id, text, method, given_at, given_by) VALUES (?, ?, ?, ?, ?)')
        .run(id, text, method, at, by).lastInsertRowid,
    );
  }

  withdrawConsent(consentId: number, at: string, text: string): void {
    this.db
      .prepare('UPDATE consents SET withdrawn_at = ?, text = ? WHERE consent_id = ?')
      .run(at, text, consentId);
  }

  deleteConsents(id: string): number {
    return this.db.prepare('DELETE FROM consents WHERE subject_id = ?').run(id).changes;
  }

  memberSightingCount(memberId: string): number {
    return this.db
      .prepare("SELECT COUNT(*) FROM appearances WHERE person_kind = 'member' AND person_id = ?")
      .pluck()
      .get(memberId) as number;
  }

  alertCount(personId: string): number {
    return this.db.prepare('SELECT COUNT(*) FROM alerts WHERE person_id = ?').pluck().get(personId) as number;
  }

  deleteAlerts(personId: string): number {
    return this.db.prepare('DELETE FROM alerts WHERE person_id = ?').run(personId).changes;
  }

  deleteUnknownSightings(unknownId: string): number {
    return this.db
      .prepare("DELETE FROM appearances WHERE person_kind = 'unknown' AND person_id = ?")
      .run(unknownId).changes;
  }

  unknownStatus(unknownId: string): UnknownStatus | undefined {
    return this.db
      .prepare('SELECT status FROM unknown_persons WHERE unknown_id = ?')
      .pluck()
      .get(unknownId) as UnknownStatus | undefined;
  }

  deleteUnknown(unknownId: string): boolean {
    return this.db.prepare('DELETE FROM unknown_persons WHERE unknown_id = ?').run(unknownId).changes > 0;
  }

  purgeJournal(): { busy: boolean; log: number; checkpointed: number } {
    const file = sqliteOf(this.db);
    // PostgreSQL keeps no journal of its own beside the store that this node could empty; its
    // dead rows go with the server's (auto)vacuum.
    if (!file) return { busy: false, log: 0, checkpointed: 0 };
    const [r] = file.pragma('wal_checkpoint(TRUNCATE)') as {
      busy: number;
      log: number;
      checkpointed: number;
    }[];
    return { busy: !!r && r.busy !== 0, log: r?.log ?? 0, checkpointed: r?.checkpointed ?? 0 };
  }
}
