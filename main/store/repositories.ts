/**
 * What the layers above `main/store/` may ask of the store, one interface per aggregate. They are
 * storage-neutral (no SQLite types) and synchronous, so a second implementation (the shared
 * PostgreSQL store) plugs in behind the same names; the rules stay with the callers.
 */
import type { Role } from '../contract/roles.js';
import type { AuditAnchor, AuditEntry, AuditVerification } from './audit.js';
import type { AppearanceRow } from './appearances.js';
import type { CameraRow, NewCamera } from './cameras.js';
import type { StoredSettings } from '../config/schema.js';
import type { MemberRow, NewMember } from './members.js';
import type { UnknownRow } from './unknowns.js';

// --- store-b: users, sessions, sightings, templates, settings, meta ---

/** A console account as stored. */
export interface UserRecord {
  username: string;
  role: Role;
  password_hash: string;
  created_at: string;
  updated_at: string;
  last_login: string | null;
  failed_logins: number;
  locked_until: string | null;
}

export interface UserRepository {
  get(username: string): UserRecord | undefined;
  /** Ordered by username. */
  list(): UserRecord[];
  countAdmins(): number;
  insert(u: { username: string; role: Role; password_hash: string; at: string }): void;
  /** A new hash; clears the failure count and lock. False when there is no such user. */
  setPassword(username: string, hash: string, at: string): boolean;
  delete(username: string): void;
  /** Counts one failure; the new count, or undefined when there is no such user. */
  addFailure(username: string): number | undefined;
  setLockedUntil(username: string, until: string | null): void;
  /** Clears the failure count and lock; with `lastLogin`, stamps it too. */
  clearFailures(username: string, lastLogin: string | null): void;
  /** Replaces the hash only while it is still `previous` (a concurrent change wins). */
  replaceHash(username: string, previous: string, hash: string): void;
}

/** Login sessions, by the SHA-256 of their token (the token itself is never stored). */
export interface SessionRepository {
  insert(s: { tokenHash: string; username: string; createdAt: string; expiresAt: string }): void;
  /** The session's expiry with its user's current name and role. */
  find(tokenHash: string): { expires_at: string; username: string; role: Role } | undefined;
  delete(tokenHash: string): boolean;
  /** Every session of a user, except optionally one; returns how many. */
  deleteForUser(username: string, exceptTokenHash?: string | null): number;
  deleteExpired(now: string): number;
}

/**
 * The live pipeline's writes beyond inserting rows (appearances, members' and unknown persons'
 * sightings are inserted and counted through their own repositories).
 */
export interface SightingRepository {
  setAppearanceEnd(appearanceId: number, lastSeen: string): void;
  /** Moves the end only forward. */
  extendAppearance(appearanceId: number, lastSeen: string): void;
  setPossibleMember(appearanceId: number, memberId: string, similarity: number): void;
  /** All appearances, or those of one camera that began in [from, to). */
  countAppearances(window?: { cameraId: string; from: string; to: string }): number;
  /** Moves the member's last sighting forward without counting one more. */
  extendMemberSeen(memberId: string, at: string): void;
  setUnknownLastSeen(unknownId: string, at: string): void;
  /** Moves the unknown person's last sighting forward without counting one more. */
  extendUnknownSeen(unknownId: string, at: string): void;
  isActiveUnknown(unknownId: string): boolean;
  /** Closes an active case; false when it was not active. */
  closeUnknown(
    unknownId: string,
    status: 'identified' | 'dismissed',
    identifiedAs: string | null,
    at: string,
  ): boolean;
  /** Moves one of an unknown person's appearances to a member. */
  moveToMember(appearanceId: number, unknownId: string, memberId: string, confidence: number): void;
  /** Unknown persons dismissed (or last seen, for cases closed before closed_at existed) since `since`. */
  dismissedSince(since: string): { id: string; closed: string }[];
}

/** Stored member shots, for the learning of templates. */
export interface TemplateRepository {
  /** Active enrolled and learnt shots, the first to replace first (learnt, then worst, then oldest). */
  replaceableShots(memberId: string): { id: number; quality: number | null }[];
  /** Learnt shots, by their id or by the appearance that taught them. */
  learntShots(by: { embeddingId: number } | { appearanceId: number }): { id: number; memberId: string }[];
  /** The details of a member's template_updated audit rows, newest first. */
  updateRecords(memberId: string): string[];
}

/** Stored settings (system_config), the internal meta.* keys, and per-camera overrides. */
export interface SettingsRepository {
  read<K extends keyof StoredSettings>(key: K): StoredSettings[K];
  write<K extends keyof StoredSettings>(key: K, value: StoredSettings[K]): void;
  /** Every stored setting row as written (JSON), without meta.* and probe.* rows, by key. */
  storedRows(): { key: string; value: string }[];
  readMeta(key: string): string | undefined;
  writeMeta(key: string, value: string): void;
  /** A camera's own recognition threshold; undefined when there is no such camera. */
  cameraThreshold(cameraId: string): { recognition_threshold: number | null } | undefined;
  setCameraThreshold(cameraId: string, threshold: number): void;
}

/** Health and housekeeping figures of the store itself (doctor, backup check, status). */
export interface HealthRepository {
  schemaVersion(): number;
  integrity(): string;
  /** Row counts of the main tables. */
  counts(): { members: number; unknown_persons: number; embeddings: number };
  openAlerts(): { total: number; urgent: number };
  lastSystemError(): { alert_id: number; message: string; created_at: string; status: string } | null;
  /** Writes the WAL back into the database file and empties it (after an erasure). */
  checkpoint(): void;
  /** A consistent copy of the whole database into `file` (one read snapshot). */
  copyTo(file: string): void;
}

// Shared aggregates: store-a's repositories of the same names declare all of these with the same
// signatures (interfaces of one name merge); at merge time keep store-a's implementations and drop
// shared-repositories.ts and these fields' duplicates on Store.

export interface MemberRepository {
  insert(id: string, member: NewMember, recognizer: string, quality: number): void;
  get(id: string): MemberRow | undefined;
  list(): MemberRow[];
  setAccess(id: string, change: { watchlist?: boolean; allowedHours?: string | null }): boolean;
  /** The member's row with their own sightings and alerts. */
  delete(id: string): boolean;
  recordSeen(id: string, at: string): void;
  /** Active and suspended members, by id. */
  matchableIds(): string[];
}

export interface UnknownRepository {
  insert(id: string, at: string, cameraId: string | null, quality: number, recognizer: string): void;
  recordSeen(id: string, at: string, cameraId: string | null, quality: number): void;
  get(id: string): UnknownRow | undefined;
  list(): UnknownRow[];
  /** Re-derives count, cameras and first/last seen from the sightings still attributed. */
  recount(id: string): void;
  delete(id: string): boolean;
  /** Active cases, by id. */
  activeIds(): string[];
}

export interface AppearanceRepository {
  insert(a: Omit<AppearanceRow, 'appearance_id' | 'bbox'> & { bbox: number[] }): number;
  list(since?: string): AppearanceRow[];
  countOfUnknown(unknownId: string, since?: string): number;
}

export interface CameraRepository {
  /** Validates (id, name, URL) and stores a new camera. */
  add(camera: NewCamera): CameraRow;
  get(id: string): CameraRow | undefined;
  list(): CameraRow[];
  remove(id: string): void;
}

/** The hash-chained audit log. */
export interface AuditRepository {
  /** Appends one row chained to the last; call inside the transaction it records. */
  append(entry: AuditEntry, at?: string): void;
  verify(): AuditVerification;
  /** Also hands every new head to `forward` (null stops it); needs the audit key. */
  forwardAnchor(forward: ((anchor: AuditAnchor) => void) | null): void;
  /** Writes a pending anchor now (before the store closes). */
  flushAnchor(): void;
}

// --- end store-b ---
