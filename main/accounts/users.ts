import type { UserView } from '../contract/contract.js';
import { ROLES, type Role } from '../contract/roles.js';
import { VigilError } from '../errors.js';
import type { AuditEntry } from '../store/audit.js';
import type { UserRecord } from '../store/repositories.js';
import type { Store } from '../store/store.js';
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

type UserRow = UserRecord;

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
  store: Store,
  audit: Audit | undefined,
  username: string,
  extra: NonNullable<AuditEntry['details']>,
): void {
  if (audit)
    store.audit.append({
      actor: audit.actor,
      action: audit.action,
      subject: username,
      details: { ...extra, ...audit.details },
    });
}

function row(store: Store, username: string): UserRow | undefined {
  return store.users.get(username);
}

/** True until the first administrator exists: the console then offers setup instead of sign-in. */
export function needsSetup(store: Store): boolean {
  return store.users.countAdmins() === 0;
}

export function listUsers(store: Store, now: number = Date.now()): UserView[] {
  return store.users.list().map((r) => view(r, now));
}

export function getUser(store: Store, username: string, now: number = Date.now()): UserView | null {
  const r = row(store, username.trim().toLowerCase());
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
  store: Store,
  input: NewUser,
  options: { clock?: Clock; onlyIfNoAdmin?: boolean; audit?: Audit } = {},
): Promise<UserView> {
  const username = normalizeUsername(input.username);
  assertRole(input.role);
  const role = input.role;
  assertPasswordPolicy(input.password);
  if (row(store, username)) throw new VigilError('CONFLICT', `A user named ${username} already exists.`);
  const hash = await hashPassword(input.password);
  const now = new Date((options.clock ?? Date.now)()).toISOString();
  return store.transaction(() => {
    if (options.onlyIfNoAdmin && !needsSetup(store))
      throw new VigilError('CONFLICT', 'Vigil is already set up: sign in with an administrator account.');
    if (row(store, username)) throw new VigilError('CONFLICT', `A user named ${username} already exists.`);
    store.users.insert({ username, role, password_hash: hash, at: now });
    audited(store, options.audit, username, { role });
    return view(row(store, username)!, Date.parse(now));
  }, 'immediate');
}

/**
 * Sets a new password, clears any lockout and ends the user's sessions (all of them, or all but
 * `keepSession`, the caller's own when they change their own password).
 */
export async function setPassword(
  store: Store,
  username: string,
  password: string,
  options: { clock?: Clock; keepSession?: string | null; audit?: Audit } = {},
): Promise<void> {
  const name = username.trim().toLowerCase();
  if (!row(store, name)) throw new VigilError('NOT_FOUND', `No user named ${name}.`);
  assertPasswordPolicy(password);
  const hash = await hashPassword(password);
  const now = new Date((options.clock ?? Date.now)()).toISOString();
  store.transaction(() => {
    if (!store.users.setPassword(name, hash, now))
      throw new VigilError('NOT_FOUND', `No user named ${name}.`);
    const ended = revokeUserSessions(store, name, options.keepSession);
    audited(store, options.audit, name, { sessions_ended: ended });
  }, 'immediate');
}

/** Removes an account and its sessions; the last administrator cannot be removed. */
export function removeUser(store: Store, username: string, options: { audit?: Audit } = {}): void {
  const name = username.trim().toLowerCase();
  store.transaction(() => {
    const r = row(store, name);
    if (!r) throw new VigilError('NOT_FOUND', `No user named ${name}.`);
    if (r.role === 'admin' && store.users.countAdmins() <= 1)
      throw new VigilError(
        'CONFLICT',
        `${name} is the last administrator; add another administrator before removing this one.`,
      );
    revokeUserSessions(store, name);
    store.users.delete(name);
    audited(store, options.audit, name, { role: r.role });
  }, 'immediate');
}

/** Counts one failure against the account and locks it once the count reaches LOCK_AFTER. */
function recordFailure(store: Store, username: string, now: number): void {
  const failures = store.users.addFailure(username);
  if (failures === undefined) return;
  const lock = lockDuration(failures);
  store.users.setLockedUntil(username, lock > 0 ? new Date(now + lock).toISOString() : null);
}

/** Clears the failure count; a sign-in (not a kiosk PIN) also stamps last_login. */
function recordSuccess(store: Store, username: string, now: number, signIn: boolean): void {
  store.users.clearFailures(username, signIn ? new Date(now).toISOString() : null);
}

/** Stores a stronger hash after a successful check when the parameters have been raised since. */
async function upgradeHash(store: Store, r: UserRow, password: string): Promise<void> {
  if (!needsRehash(r.password_hash)) return;
  const hash = await hashPassword(password);
  store.users.replaceHash(r.username, r.password_hash, hash);
}

/**
 * Failures against names that are not accounts, so that a name's lockout answers the same whether
 * it exists or not. In memory and bounded: anonymous guesses cannot grow it without limit.
 */
const ghostFailures = new WeakMap<Store, Map<string, { failures: number; lockedUntil: number }>>();
const MAX_GHOSTS = 10_000;

function ghostsOf(store: Store): Map<string, { failures: number; lockedUntil: number }> {
  let m = ghostFailures.get(store);
  if (!m) ghostFailures.set(store, (m = new Map()));
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
  store: Store,
  username: string,
  password: string,
  o: CheckOptions,
): Promise<AuthOutcome> {
  const name = username.trim().toLowerCase();
  const start = o.clock();
  const gate = store.transaction((): { locked: number } | { row: UserRow } | null => {
    const r = row(store, name);
    if (!r || (o.adminOnly && r.role !== 'admin')) return null;
    const until = lockedUntil(r, start);
    if (until !== null) return { locked: until };
    recordFailure(store, name, start);
    return { row: r };
  }, 'immediate');
  if (gate === null) {
    const ghosts = ghostsOf(store);
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
  const outcome = store.transaction((): AuthOutcome => {
    const r = row(store, name);
    if (!r) return { ok: false, reason: 'unknown_user', message: o.wrong, username: null };
    // A password changed while we hashed: the check was against the old one.
    if (r.password_hash !== before.password_hash || !matches)
      return { ok: false, reason: 'bad_password', message: o.wrong, username: name };
    recordSuccess(store, name, o.clock(), o.signIn);
    return { ok: true, username: r.username, role: r.role };
  }, 'immediate');
  if (outcome.ok) await upgradeHash(store, before, password);
  return outcome;
}

/** Checks a username and password (a sign-in) against the account's lockout. */
export function authenticate(
  store: Store,
  username: string,
  password: string,
  clock: Clock = Date.now,
): Promise<AuthOutcome> {
  return checkPassword(store, username, password, {
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
  store: Store,
  username: string,
  pin: string,
  clock: Clock = Date.now,
): Promise<AuthOutcome> {
  return checkPassword(store, username, pin, {
    clock,
    adminOnly: true,
    signIn: false,
    what: 'PIN entries for this administrator',
    wrong: BAD_PIN,
  });
}
