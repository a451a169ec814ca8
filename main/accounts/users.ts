import type Database from 'better-sqlite3';
import type { UserView } from '../contract/contract.js';
import { ROLES, type Role } from '../contract/roles.js';
import { VigilError } from '../errors.js';
import { appendAudit, type AuditEntry } from '../store/audit.js';
import { assertPasswordPolicy, dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { revokeUserSessions } from './sessions.js';

/**
 * Local accounts of the console. Sign-in failures back off per account: after LOCK_AFTER
 * consecutive failures the account is locked for 30 s, doubling with each further failure up to
 * 15 minutes; while locked, no password is even checked, so guessing stops costing us hashes.
 */

export type Clock = () => number;

export const LOCK_AFTER = 5;
export const BASE_LOCK_MS = 30_000;
export const MAX_LOCK_MS = 15 * 60_000;

export const BAD_CREDENTIALS = 'The username or password is not correct.';
export const BAD_PIN = 'The administrator name or PIN is not correct.';

interface UserRow {
  username: string;
  role: Role;
  password_hash: string;
  created_at: string;
  updated_at: string;
  last_login: string | null;
  failed_logins: number;
  locked_until: string | null;
}

export type AuthOutcome =
  | { ok: true; username: string; role: Role }
  | {
      ok: false;
      reason: 'unknown_user' | 'bad_password' | 'locked';
      /** The sentence for the person signing in; the same for an unknown name and a wrong password. */
      message: string;
      /** Which account the failure counted against (for the audit log), when one exists. */
      username: string | null;
    };

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Usernames are case-insensitive: "Admin" and "admin" are one account. */
export function normalizeUsername(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!USERNAME.test(name))
    throw new VigilError(
      'INVALID_ARGUMENT',
      'A username has 1-64 characters: letters, digits, and . _ @ - (not first).',
    );
  return name;
}

function assertRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role))
    throw new VigilError('INVALID_ARGUMENT', `Unknown role "${role}"; roles are ${ROLES.join(', ')}.`);
}

/** How long the account stays locked after this many consecutive failures (0: not locked). */
export function lockDuration(failures: number): number {
  if (failures < LOCK_AFTER) return 0;
  return Math.min(BASE_LOCK_MS * 2 ** (failures - LOCK_AFTER), MAX_LOCK_MS);
}

function lockedUntil(row: UserRow, now: number): number | null {
  if (!row.locked_until) return null;
  const until = Date.parse(row.locked_until);
  return until > now ? until : null;
}

function retrySentence(until: number, now: number, what: string): string {
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  const wait = seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  return `Too many failed ${what}: try again in ${wait} (after ${new Date(until).toISOString()}).`;
}

function view(row: UserRow, now: number): UserView {
  const until = lockedUntil(row, now);
  return {
    username: row.username,
    role: row.role,
    created_at: row.created_at,
    last_login: row.last_login,
    locked_until: until === null ? null : new Date(until).toISOString(),
  };
}

/** The audit row a change writes in its own transaction; the subject is the (normalized) username. */
export type Audit = Pick<AuditEntry, 'actor' | 'action'> & { details?: AuditEntry['details'] };

function audited(
  db: Database.Database,
  audit: Audit | undefined,
  username: string,
  extra: NonNullable<AuditEntry['details']>,
): void {
  if (audit)
    appendAudit(db, {
      actor: audit.actor,
      action: audit.action,
      subject: username,
      details: { ...extra, ...audit.details },
    });
}

function row(db: Database.Database, username: string): UserRow | undefined {
  return db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
}

function countAdmins(db: Database.Database): number {
  return db.prepare("SELECT COUNT(*) FROM users WHERE role = 'admin'").pluck().get() as number;
}

/** True until the first administrator exists: the console then offers setup instead of sign-in. */
export function needsSetup(db: Database.Database): boolean {
  return countAdmins(db) === 0;
}

export function listUsers(db: Database.Database, now: number = Date.now()): UserView[] {
  return (db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map((r) => view(r, now));
}

export function getUser(db: Database.Database, username: string, now: number = Date.now()): UserView | null {
  const r = row(db, username.trim().toLowerCase());
  return r ? view(r, now) : null;
}

export interface NewUser {
  username: string;
  role: string;
  password: string;
}

/**
 * Adds an account. With `onlyIfNoAdmin` the insert happens only while no administrator exists,
 * checked in the same transaction, so two consoles racing through setup cannot both succeed.
 */
export async function addUser(
  db: Database.Database,
  input: NewUser,
  options: { clock?: Clock; onlyIfNoAdmin?: boolean; audit?: Audit } = {},
): Promise<UserView> {
  const username = normalizeUsername(input.username);
  assertRole(input.role);
  const role = input.role;
  assertPasswordPolicy(input.password);
  if (row(db, username)) throw new VigilError('CONFLICT', `A user named ${username} already exists.`);
  const hash = await hashPassword(input.password);
  const now = new Date((options.clock ?? Date.now)()).toISOString();
  return db
    .transaction(() => {
      if (options.onlyIfNoAdmin && !needsSetup(db))
        throw new VigilError('CONFLICT', 'Vigil is already set up: sign in with an administrator account.');
      if (row(db, username)) throw new VigilError('CONFLICT', `A user named ${username} already exists.`);
      db.prepare(
        'INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      ).run(username, role, hash, now, now);
      audited(db, options.audit, username, { role });
      return view(row(db, username)!, Date.parse(now));
    })
    .immediate();
}

/**
 * Sets a new password, clears any lockout and ends the user's sessions (all of them, or all but
 * `keepSession`, the caller's own when they change their own password).
 */
export async function setPassword(
  db: Database.Database,
  username: string,
  password: string,
  options: { clock?: Clock; keepSession?: string | null; audit?: Audit } = {},
): Promise<void> {
  const name = username.trim().toLowerCase();
  if (!row(db, name)) throw new VigilError('NOT_FOUND', `No user named ${name}.`);
  assertPasswordPolicy(password);
  const hash = await hashPassword(password);
  const now = new Date((options.clock ?? Date.now)()).toISOString();
  db.transaction(() => {
    const changed = db
      .prepare(
        'UPDATE users SET password_hash = ?, updated_at = ?, failed_logins = 0, locked_until = NULL WHERE username = ?',
      )
      .run(hash, now, name).changes;
    if (changed === 0) throw new VigilError('NOT_FOUND', `No user named ${name}.`);
    const ended = revokeUserSessions(db, name, options.keepSession);
    audited(db, options.audit, name, { sessions_ended: ended });
  }).immediate();
}

/** Removes an account and its sessions; the last administrator cannot be removed. */
export function removeUser(db: Database.Database, username: string, options: { audit?: Audit } = {}): void {
  const name = username.trim().toLowerCase();
  db.transaction(() => {
    const r = row(db, name);
    if (!r) throw new VigilError('NOT_FOUND', `No user named ${name}.`);
    if (r.role === 'admin' && countAdmins(db) <= 1)
      throw new VigilError(
        'CONFLICT',
        `${name} is the last administrator; add another administrator before removing this one.`,
      );
    revokeUserSessions(db, name);
    db.prepare('DELETE FROM users WHERE username = ?').run(name);
    audited(db, options.audit, name, { role: r.role });
  }).immediate();
}

/** Counts one failure against the account and locks it once the count reaches LOCK_AFTER. */
function recordFailure(db: Database.Database, username: string, now: number): void {
  const failures = db
    .prepare('UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ? RETURNING failed_logins')
    .pluck()
    .get(username) as number | undefined;
  if (failures === undefined) return;
  const lock = lockDuration(failures);
  db.prepare('UPDATE users SET locked_until = ? WHERE username = ?').run(
    lock > 0 ? new Date(now + lock).toISOString() : null,
    username,
  );
}

/** Clears the failure count; a sign-in (not a kiosk PIN) also stamps last_login. */
function recordSuccess(db: Database.Database, username: string, now: number, signIn: boolean): void {
  if (signIn)
    db.prepare(
      'UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ? WHERE username = ?',
    ).run(new Date(now).toISOString(), username);
  else db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?').run(username);
}

/** Stores a stronger hash after a successful check when the parameters have been raised since. */
async function upgradeHash(db: Database.Database, r: UserRow, password: string): Promise<void> {
  if (!needsRehash(r.password_hash)) return;
  const hash = await hashPassword(password);
  db.prepare('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?').run(
    hash,
    r.username,
    r.password_hash,
  );
}

/**
 * Failures against names that are not accounts, so that a name's lockout answers the same whether
 * it exists or not. In memory and bounded: anonymous guesses cannot grow it without limit.
 */
const ghostFailures = new WeakMap<
  Database.Database,
  Map<string, { failures: number; lockedUntil: number }>
>();
const MAX_GHOSTS = 10_000;

function ghostsOf(db: Database.Database): Map<string, { failures: number; lockedUntil: number }> {
  let m = ghostFailures.get(db);
  if (!m) ghostFailures.set(db, (m = new Map()));
  return m;
}

interface CheckOptions {
  clock: Clock;
  /** Only an administrator's password counts (the kiosk PIN). */
  adminOnly: boolean;
  /** A sign-in stamps last_login; a PIN check does not. */
  signIn: boolean;
  /** "sign-ins for this account" / "PIN entries for this administrator" */
  what: string;
  wrong: string;
}

/**
 * One password check against one named account's persistent lockout. The failure is charged
 * before the hash is computed, in the same transaction that checks the lock, so parallel guesses
 * each pay up front and the lock holds however many arrive at once; a right password refunds it.
 * An unknown name is charged in memory and hashed against a dummy, so it takes as long, gets the
 * same sentence and locks the same way.
 */
async function checkPassword(
  db: Database.Database,
  username: string,
  password: string,
  o: CheckOptions,
): Promise<AuthOutcome> {
  const name = username.trim().toLowerCase();
  const start = o.clock();
  const gate = db
    .transaction((): { locked: number } | { row: UserRow } | null => {
      const r = row(db, name);
      if (!r || (o.adminOnly && r.role !== 'admin')) return null;
      const until = lockedUntil(r, start);
      if (until !== null) return { locked: until };
      recordFailure(db, name, start);
      return { row: r };
    })
    .immediate();
  if (gate === null) {
    const ghosts = ghostsOf(db);
    const g = ghosts.get(name) ?? { failures: 0, lockedUntil: 0 };
    if (g.lockedUntil > start)
      return {
        ok: false,
        reason: 'locked',
        message: retrySentence(g.lockedUntil, start, o.what),
        username: null,
      };
    g.failures++;
    const lock = lockDuration(g.failures);
    if (lock > 0) g.lockedUntil = start + lock;
    ghosts.delete(name);
    ghosts.set(name, g);
    if (ghosts.size > MAX_GHOSTS) ghosts.delete(ghosts.keys().next().value as string);
    await verifyPassword(password, await dummyHash());
    return { ok: false, reason: 'unknown_user', message: o.wrong, username: null };
  }
  if ('locked' in gate)
    return {
      ok: false,
      reason: 'locked',
      message: retrySentence(gate.locked, start, o.what),
      username: name,
    };
  const before = gate.row;
  const matches = await verifyPassword(password, before.password_hash);
  const outcome = db
    .transaction((): AuthOutcome => {
      const r = row(db, name);
      if (!r) return { ok: false, reason: 'unknown_user', message: o.wrong, username: null };
      // A password changed while we hashed: the check was against the old one.
      if (r.password_hash !== before.password_hash || !matches)
        return { ok: false, reason: 'bad_password', message: o.wrong, username: name };
      recordSuccess(db, name, o.clock(), o.signIn);
      return { ok: true, username: r.username, role: r.role };
    })
    .immediate();
  if (outcome.ok) await upgradeHash(db, before, password);
  return outcome;
}

/** Checks a username and password (a sign-in) against the account's lockout. */
export function authenticate(
  db: Database.Database,
  username: string,
  password: string,
  clock: Clock = Date.now,
): Promise<AuthOutcome> {
  return checkPassword(db, username, password, {
    clock,
    adminOnly: false,
    signIn: true,
    what: 'sign-ins for this account',
    wrong: BAD_CREDENTIALS,
  });
}

/**
 * The kiosk's exit PIN: the password of the one administrator named at the kiosk. It is charged to
 * that administrator's own lockout (the same one as sign-in), so the kiosk is no side door for
 * guessing: five wrong PINs lock the account for 30 s, doubling to 15 minutes.
 */
export function authenticateAdminPin(
  db: Database.Database,
  username: string,
  pin: string,
  clock: Clock = Date.now,
): Promise<AuthOutcome> {
  return checkPassword(db, username, pin, {
    clock,
    adminOnly: true,
    signIn: false,
    what: 'PIN entries for this administrator',
    wrong: BAD_PIN,
  });
}
