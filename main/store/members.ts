import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

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
}

export interface NewMember {
  name: string;
  apartment?: string | null;
  email?: string | null;
  phone?: string | null;
}

export function newMemberId(): string {
  return `MEMBER_${randomBytes(5).toString('hex')}`;
}

export function insertMember(
  db: Database.Database,
  id: string,
  m: NewMember,
  recognizer: string,
  quality: number,
): void {
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO members (member_id, name, apartment, email, phone, quality_score, recognizer, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, m.name, m.apartment ?? null, m.email ?? null, m.phone ?? null, quality, recognizer, now, now);
}

export function getMember(db: Database.Database, id: string): MemberRow | undefined {
  return db.prepare('SELECT * FROM members WHERE member_id = ?').get(id) as MemberRow | undefined;
}

export function listMembers(db: Database.Database): MemberRow[] {
  return db.prepare('SELECT * FROM members ORDER BY created_at, member_id').all() as MemberRow[];
}

export function deleteMemberRow(db: Database.Database, id: string): boolean {
  db.prepare("DELETE FROM appearances WHERE person_kind = 'member' AND person_id = ?").run(id);
  db.prepare("DELETE FROM alerts WHERE person_kind = 'member' AND person_id = ?").run(id);
  return db.prepare('DELETE FROM members WHERE member_id = ?').run(id).changes > 0;
}

export function recordMemberSeen(db: Database.Database, id: string, at: string): void {
  db.prepare(
    `UPDATE members SET last_seen = CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END,
     total_appearances = total_appearances + 1 WHERE member_id = ?`,
  ).run(at, at, id);
}
