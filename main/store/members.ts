import { randomBytes } from 'node:crypto';
import type { SqlPort } from './sql-port.js';
import { VigilError } from '../errors.js';
import type { MemberRepository } from './repositories.js';

export interface MemberRow {
  member_id: string;
  name: string;
  apartment: string | null;
  email: string | null;
  phone: string | null;
  member_type: string;
  status: 'active' | 'suspended' | 'restricted';
  watchlist: number;
  quality_score: number | null;
  recognizer: string;
  notes: string | null;
  created_at: string;
  updated_at: string;
  last_seen: string | null;
  total_appearances: number;
  allowed_hours: string | null;
}

export interface NewMember {
  name: string;
  apartment?: string | null;
  email?: string | null;
  phone?: string | null;
  member_type?: string;
  notes?: string | null;
}

export function newMemberId(): string {
  return `MEMBER_${randomBytes(5).toString('hex')}`;
}

export function insertMember(
  db: SqlPort,
  id: string,
  m: NewMember,
  recognizer: string,
  quality: number,
): void {
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO members (member_id, name, apartment, email, phone, member_type, notes, quality_score, recognizer,
       created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    m.name,
    m.apartment ?? null,
    m.email ?? null,
    m.phone ?? null,
    m.member_type ?? 'member',
    m.notes ?? null,
    quality,
    recognizer,
    now,
    now,
  );
}

export function getMember(db: SqlPort, id: string): MemberRow | undefined {
  return db.prepare('SELECT * FROM members WHERE member_id = ?').get(id) as MemberRow | undefined;
}

export function listMembers(db: SqlPort): MemberRow[] {
  return db.prepare('SELECT * FROM members ORDER BY created_at, member_id').all() as MemberRow[];
}

export function deleteMemberRow(db: SqlPort, id: string): boolean {
  db.prepare("DELETE FROM appearances WHERE person_kind = 'member' AND person_id = ?").run(id);
  db.prepare("DELETE FROM alerts WHERE person_kind = 'member' AND person_id = ?").run(id);
  return db.prepare('DELETE FROM members WHERE member_id = ?').run(id).changes > 0;
}

export function recordMemberSeen(db: SqlPort, id: string, at: string): void {
  db.prepare(
    `UPDATE members SET last_seen = CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END,
     total_appearances = total_appearances + 1 WHERE member_id = ?`,
  ).run(at, at, id);
}

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** Validates "HH:MM-HH:MM"; null clears the restriction. */
export function parseAllowedHours(text: string | null): string | null {
  if (text === null || text === '' || text === 'any') return null;
  if (!HOURS.test(text))
    throw new VigilError('INVALID_ARGUMENT', 'Allowed hours are written HH:MM-HH:MM, e.g. 07:00-19:30.');
  return text;
}

/** Whether a local time falls inside "HH:MM-HH:MM" (a window may wrap past midnight). */
export function withinAllowedHours(hours: string | null, at: Date): boolean {
  if (!hours) return true;
  const m = HOURS.exec(hours);
  if (!m) return true;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  const now = at.getHours() * 60 + at.getMinutes();
  return from <= to ? now >= from && now <= to : now >= from || now <= to;
}

export function setMemberStatus(db: SqlPort, id: string, status: MemberRow['status']): boolean {
  return (
    db
      .prepare('UPDATE members SET status = ?, updated_at = ? WHERE member_id = ?')
      .run(status, new Date().toISOString(), id).changes > 0
  );
}

export function setMemberAccess(
  db: SqlPort,
  id: string,
  change: { watchlist?: boolean; allowedHours?: string | null },
): boolean {
  const m = getMember(db, id);
  if (!m) return false;
  db.prepare('UPDATE members SET watchlist = ?, allowed_hours = ?, updated_at = ? WHERE member_id = ?').run(
    change.watchlist === undefined ? m.watchlist : change.watchlist ? 1 : 0,
    change.allowedHours === undefined ? m.allowed_hours : change.allowedHours,
    new Date().toISOString(),
    id,
  );
  return true;
}

export interface MemberChanges {
  name?: string;
  apartment?: string | null;
  email?: string | null;
  phone?: string | null;
  member_type?: string;
  notes?: string | null;
}

/** Rectification: changes the given personal fields only. */
export function updateMember(db: SqlPort, id: string, ch: MemberChanges): boolean {
  const m = getMember(db, id);
  if (!m) return false;
  if (ch.name !== undefined && !ch.name.trim())
    throw new VigilError('INVALID_ARGUMENT', 'A member needs a name.');
  const pick = <K extends keyof MemberChanges>(k: K, current: MemberRow[K]) =>
    ch[k] === undefined ? current : ch[k];
  db.prepare(
    `UPDATE members SET name = ?, apartment = ?, email = ?, phone = ?, member_type = ?, notes = ?, updated_at = ?
     WHERE member_id = ?`,
  ).run(
    ch.name?.trim() ?? m.name,
    pick('apartment', m.apartment),
    pick('email', m.email),
    pick('phone', m.phone),
    pick('member_type', m.member_type),
    pick('notes', m.notes),
    new Date().toISOString(),
    id,
  );
  return true;
}

/** One page of members whose name, apartment, email or id contains the query. */
export function searchMembers(
  db: SqlPort,
  query: string,
  offset: number,
  limit: number,
): { total: number; items: MemberRow[] } {
  const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = `WHERE name LIKE @q ESCAPE '\\' OR apartment LIKE @q ESCAPE '\\' OR email LIKE @q ESCAPE '\\'
    OR member_id LIKE @q ESCAPE '\\'`;
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM members ${where}`).get({ q: like }) as { n: number })
    .n;
  const items = db
    .prepare(`SELECT * FROM members ${where} ORDER BY lower(name), member_id LIMIT @limit OFFSET @offset`)
    .all({ q: like, limit, offset }) as MemberRow[];
  return { total, items };
}

/** The members of one SQLite store. */
export class SqliteMembers implements MemberRepository {
  constructor(private readonly db: SqlPort) {}

  insert(id: string, member: NewMember, recognizer: string, quality: number): void {
    insertMember(this.db, id, member, recognizer, quality);
  }

  get(id: string): MemberRow | undefined {
    return getMember(this.db, id);
  }

  list(): MemberRow[] {
    return listMembers(this.db);
  }

  search(query: string, offset: number, limit: number): { total: number; items: MemberRow[] } {
    return searchMembers(this.db, query, offset, limit);
  }

  update(id: string, changes: MemberChanges): boolean {
    return updateMember(this.db, id, changes);
  }

  setStatus(id: string, status: MemberRow['status']): boolean {
    return setMemberStatus(this.db, id, status);
  }

  setAccess(id: string, change: { watchlist?: boolean; allowedHours?: string | null }): boolean {
    return setMemberAccess(this.db, id, change);
  }

  setTypeAndNotes(id: string, memberType: string, notes: string | null): void {
    this.db
      .prepare('UPDATE members SET member_type = ?, notes = ? WHERE member_id = ?')
      .run(memberType, notes, id);
  }

  delete(id: string): boolean {
    return deleteMemberRow(this.db, id);
  }

  recordSeen(id: string, at: string): void {
    recordMemberSeen(this.db, id, at);
  }

  /** Active and suspended members, by id. */
  matchableIds(): string[] {
    return this.db
      .prepare("SELECT member_id FROM members WHERE status IN ('active', 'suspended') ORDER BY member_id")
      .pluck()
      .all() as string[];
  }

  templateCount(id: string): number {
    return (
      this.db
        .prepare(
          "SELECT COUNT(*) AS n FROM embeddings WHERE person_kind = 'member' AND person_id = ? AND is_centroid = 0",
        )
        .get(id) as { n: number }
    ).n;
  }
}
