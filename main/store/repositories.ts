/**
 * What the rest of Vigil may ask of a store, one interface per aggregate. Only rows cross these
 * interfaces (plain values, no handles or statements of a database), and every call is synchronous,
 * so a second implementation (the shared PostgreSQL store) can stand beside the SQLite one.
 * The rules (restriction, consent, last admin, permissions, which audit rows) are the callers';
 * a repository reads and writes what it is told.
 */
import type { StoredSettings } from '../config/schema.js';
import type { Role } from '../contract/roles.js';
import type { AppearanceRow } from './appearances.js';
import type { AuditAnchor, AuditEntry, AuditVerification } from './audit.js';
import type { CameraChanges, CameraRow, NewCamera } from './cameras.js';
import type { MemberChanges, MemberRow, NewMember } from './members.js';
import type { UnknownRow, UnknownStatus } from './unknowns.js';
import type { PersonKind } from './vectors.js';

// --- store-a: members, unknowns, appearances, alerts, subjects, reports, cameras, audit ---

/** One row of the audit log as stored. */
export interface AuditRecord {
  audit_id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
}

/** Substring filters (case as stored) and bounds on `at` (ISO times); newest first, at most `limit`. */
export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  subject?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
}

/** The hash-chained audit log. */
export interface AuditRepository {
  /** Appends one row chained to the last; call inside the transaction it records. */
  append(entry: AuditEntry, at?: string): void;
  verify(): AuditVerification;
  list(filter: AuditFilter): AuditRecord[];
  /** Rows whose subject is one of `subjects`, oldest first. */
  about(subjects: readonly string[]): Omit<AuditRecord, 'subject'>[];
  /** The newest row about `subject` with one of `actions`. */
  latest(subject: string, actions: readonly string[]): { at: string; actor: string } | undefined;
  /** Every row of one action, in no particular order. */
  withAction(action: string): { at: string; actor: string; subject: string; details: string }[];
  /** The id of the newest row, 0 for an empty log. */
  lastId(): number;
  /** From now on rows are keyed with `key` and the chain's head is anchored beside the store. */
  useKey(key: Buffer, legacyUntil: number): void;
  /** Also hands every new head to `forward` (null stops it); needs the audit key. */
  forwardAnchor(forward: ((anchor: AuditAnchor) => void) | null): void;
  /** Writes a pending anchor now (before the store closes). */
  flushAnchor(): void;
}

export interface MemberRepository {
  insert(id: string, member: NewMember, recognizer: string, quality: number): void;
  get(id: string): MemberRow | undefined;
  list(): MemberRow[];
  /** One page of members whose name, apartment, email or id contains `query`. */
  search(query: string, offset: number, limit: number): { total: number; items: MemberRow[] };
  /** Rectification: the given personal fields only; false when there is no such member. */
  update(id: string, changes: MemberChanges): boolean;
  setStatus(id: string, status: MemberRow['status']): boolean;
  setAccess(id: string, change: { watchlist?: boolean; allowedHours?: string | null }): boolean;
  setTypeAndNotes(id: string, memberType: string, notes: string | null): void;
  /** The member's row with their own sightings and alerts. */
  delete(id: string): boolean;
  recordSeen(id: string, at: string): void;
  /** Face templates from photos or sightings (centroids not counted). */
  templateCount(id: string): number;
  /** Active and suspended members, by id. */
  matchableIds(): string[];
}

/** What two unknown ids of one stranger add up to (see decide/merge-unknowns). */
export interface UnknownMerge {
  keep: string;
  drop: string;
  appearances: number;
  cameras: string[];
  firstSeen: string;
  lastSeen: string;
  bestQuality: number;
}

export interface UnknownRepository {
  insert(id: string, at: string, cameraId: string | null, quality: number, recognizer: string): void;
  recordSeen(id: string, at: string, cameraId: string | null, quality: number): void;
  get(id: string): UnknownRow | undefined;
  list(): UnknownRow[];
  /** The review queue: newest by last sighting, or most frequently seen first. */
  query(opts: { sort: 'newest' | 'frequent'; status: UnknownStatus | 'all' }): UnknownRow[];
  /** Active cases, in storage order (the fragment merge's input). */
  active(): UnknownRow[];
  /** Active cases, by id. */
  activeIds(): string[];
  /** Closed cases: identified, dismissed, or both ('all'). */
  closed(outcome: 'identified' | 'dismissed' | 'all'): UnknownRow[];
  setNotes(id: string, notes: string | null): void;
  /** Re-derives count, cameras and first/last seen from the sightings still attributed. */
  recount(id: string): void;
  /** Qualities of the stored templates that have one. */
  templateQualities(id: string): number[];
  /** Templates from single sightings (no centroid), best quality first. */
  shotsByQuality(id: string): { id: number; quality: number | null }[];
  /** Every template id, best quality first. */
  templatesByQuality(id: string): number[];
  /** Adds `drop`'s counts to `keep` and hands it `drop`'s sightings and alerts (rows only). */
  mergeRows(m: UnknownMerge): void;
  delete(id: string): boolean;
  /** Hands the unknown's sightings and alerts to a member and adds them to the member's counts. */
  handToMember(unknownId: string, memberId: string): number;
}

/** A new appearance row; `op_id` (optional) makes a replayed write find its first commit. */
export type NewAppearance = Omit<AppearanceRow, 'appearance_id' | 'bbox'> & {
  bbox: number[];
  op_id?: string | null;
};

/** A sighting as the member page lists it. */
export type MemberSighting = Pick<
  AppearanceRow,
  'appearance_id' | 'person_kind' | 'person_id' | 'camera_id' | 'first_seen' | 'last_seen' | 'confidence'
>;

export interface AppearanceRepository {
  /** `op_id`: the writer's id of this write (see engine/buffered-writer), unique when given. */
  insert(a: NewAppearance): number;
  /** The appearance written by operation `opId`, if it committed. */
  idOfOp(opId: string): number | undefined;
  list(since?: string): AppearanceRow[];
  /** A member's sightings, newest first, at most `limit`. */
  ofMember(memberId: string, limit: number): MemberSighting[];
  /** An unknown person's sightings, newest first. */
  ofUnknown(unknownId: string): AppearanceRow[];
  /** Whether the sighting is attributed to this unknown person. */
  isOfUnknown(appearanceId: number, unknownId: string): boolean;
  countOfUnknown(unknownId: string, since?: string): number;
  delete(appearanceId: number): void;
}

export type AlertPriority = 'critical' | 'high' | 'medium' | 'low';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface StoredAlert {
  alert_id: number;
  type: string;
  priority: AlertPriority;
  status: AlertStatus;
  person_kind: string | null;
  person_id: string | null;
  camera_id: string | null;
  message: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  notes: string | null;
}

/** An alert with who and where in words, as the consoles list it. */
export interface AlertRecord extends StoredAlert {
  /** The member's name, or the unknown's id; null for camera alerts. */
  person_name: string | null;
  /** The camera's name (its id when the camera was removed). */
  camera_name: string | null;
  /** Whether a face crop of the (unknown) person is kept. */
  has_crop: boolean;
}

export interface AlertFilter {
  type?: string | undefined;
  priority?: string | undefined;
  status?: string | undefined;
  camera_id?: string | undefined;
  limit: number;
}

export interface AlertRepository {
  /** Stores a new open alert; returns its id. */
  insert(a: {
    type: string;
    priority: AlertPriority;
    personKind: PersonKind | null;
    personId: string | null;
    cameraId: string | null;
    message: string;
    createdAt: string;
    /** The writer's id of this write (see engine/buffered-writer), unique when given. */
    opId?: string | null;
  }): number;
  /** The alert written by operation `opId`, if it committed. */
  idOfOp(opId: string): number | undefined;
  /** Open → acknowledged; false when it was not open. */
  acknowledge(id: number, by: string, notes: string | null, at: string): boolean;
  /** → resolved; false when it already was. */
  resolve(id: number, notes: string | null, at: string): boolean;
  /** Resolves a visit's stranger alerts (new/recurring unknown) raised since `since` on one camera. */
  resolveStrangerVisit(unknownId: string, cameraId: string, since: string, note: string, at: string): void;
  /** Ids of a person's alerts that are not resolved. */
  unresolvedOf(kind: PersonKind, personId: string): number[];
  /** Resolves a person's unresolved alerts, adding `note` to each. */
  resolveAllOf(kind: PersonKind, personId: string, note: string, at: string): void;
  /** Which of `ids` are resolved. */
  resolvedAmong(ids: readonly number[]): number[];
  get(id: number): AlertRecord | undefined;
  /** Newest first, filtered by equality, at most `limit`. */
  list(filter: AlertFilter): AlertRecord[];
  /** Every alert, newest first. */
  all(): StoredAlert[];
}

/** One encrypted face crop: the sealed image and its sealed data key. */
export interface SealedCrop {
  key_iv: Buffer;
  key_tag: Buffer;
  wrapped_key: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export interface CropRepository {
  /** Stores (or replaces) the crop of an unknown person. */
  put(unknownId: string, crop: SealedCrop, createdAt: string, expiresAt: string): void;
  get(unknownId: string): SealedCrop | undefined;
  has(unknownId: string): boolean;
  /** When it was taken and until when it is kept. */
  dates(unknownId: string): { created_at: string; expires_at: string } | undefined;
  delete(unknownId: string): boolean;
  /** The crop of `from` becomes `to`'s. */
  move(from: string, to: string): void;
  /** Each crop expires `days` after it was taken; returns how many changed. */
  reapplyRetention(days: number): number;
  /** Deletes every crop that expired at `now` (ISO); returns how many. */
  purgeExpired(now: string): number;
}

export type SubjectScalar = string | number | boolean | null;

export interface ConsentRecord {
  consent_id: number;
  subject_id: string;
  text: string;
  method: string;
  given_at: string;
  given_by: string;
  withdrawn_at: string | null;
}

/** One sighting of a data subject, as a subject-access export lists it. */
export interface SubjectAppearance {
  appearance_id: number;
  person_id: string;
  camera_id: string | null;
  source: string;
  first_seen: string;
  last_seen: string;
  confidence: number;
}

/** The rows a data-subject request reads or removes (GDPR access, erasure, consent). */
export interface SubjectRepository {
  /** Unknown-person cases later identified as this member. */
  linkedUnknowns(memberId: string): string[];
  /** The member's or unknown person's own row, every column. */
  personal(kind: PersonKind, id: string): Record<string, SubjectScalar> | null;
  templates(ids: readonly string[]): { created_at: string; is_centroid: number }[];
  appearances(ids: readonly string[]): SubjectAppearance[];
  alerts(ids: readonly string[]): {
    alert_id: number;
    type: string;
    priority: string;
    status: string;
    camera_id: string | null;
    message: string;
    created_at: string;
  }[];
  consents(id: string): ConsentRecord[];
  /** Consents not withdrawn yet. */
  openConsents(id: string): { consent_id: number; text: string }[];
  addConsent(id: string, text: string, method: string, at: string, by: string): number;
  withdrawConsent(consentId: number, at: string, text: string): void;
  deleteConsents(id: string): number;
  memberSightingCount(memberId: string): number;
  /** Alerts about the person, whatever kind the id was stored with. */
  alertCount(personId: string): number;
  deleteAlerts(personId: string): number;
  deleteUnknownSightings(unknownId: string): number;
  unknownStatus(unknownId: string): UnknownStatus | undefined;
  deleteUnknown(unknownId: string): boolean;
  /**
   * Makes removed rows unrecoverable from the store's journal (write-ahead log); `busy` when a
   * reader kept part of it, which the next attempt finishes.
   */
  purgeJournal(): { busy: boolean; log: number; checkpointed: number };
}

export type ReportKind = 'appearances' | 'unknowns' | 'alerts' | 'audit';

/** ISO bounds (inclusive) and the cameras to keep (null: all). */
export interface ReportQuery {
  from: string;
  to: string;
  cameras: readonly string[] | null;
}

export interface ReportRepository {
  count(kind: ReportKind, q: ReportQuery): number;
  /** The report's rows in its order, read one at a time. */
  rows(kind: ReportKind, q: ReportQuery): Iterable<Record<string, unknown>>;
}

/** A sighting for the live feed. */
export interface RecentSighting {
  appearance_id: number;
  camera_id: string | null;
  person_kind: PersonKind;
  person_id: string;
  first_seen: string;
  last_seen: string;
  confidence: number;
  member_name: string | null;
  /** The unknown person's first sighting (its confidence is not a similarity). */
  first_of_unknown: boolean;
  has_crop: boolean;
}

export interface DashboardRepository {
  totals(todayStart: string): {
    members: number;
    unknowns_active: number;
    alerts_open: number;
    appearances_today: number;
  };
  /** Sightings that began at or after `since`. */
  sightingsSince(since: string): { person_kind: PersonKind; camera_id: string | null; first_seen: string }[];
  /** Sightings per camera that began at or after `since`. */
  sightingsPerCamera(since: string): { camera_id: string | null; n: number }[];
  /** The latest live sightings (not photo look-ups), newest first. */
  recentSightings(limit: number): RecentSighting[];
}

export interface CameraRepository {
  /** Validates (id, name, URL) and stores a new camera. */
  add(camera: NewCamera): CameraRow;
  get(id: string): CameraRow | undefined;
  list(): CameraRow[];
  update(id: string, changes: CameraChanges): CameraRow;
  remove(id: string): void;
}

// --- end store-a ---

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

/**
 * Rows of system_config by their whole key, text in and text out, outside the settings (the shared
 * store's cluster-wide key material lives under `keys_json`).
 */
export interface MetaRepository {
  read(key: string): string | undefined;
  write(key: string, value: string): void;
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
// --- end store-b ---
