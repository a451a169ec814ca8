import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '../errors.js';
import { redactUrl } from '../log.js';

/**
 * Where a command's store lives: the embedded SQLite store in the data folder (the default, no
 * server to install), or a shared PostgreSQL database named by `--store URL` / `VIGIL_STORE`.
 */
export type StoreLocation =
  | { kind: 'embedded'; dataDir: string }
  | {
      kind: 'postgres';
      /** As given; may hold the password, so never logged or printed: use `display`. */
      url: string;
      /** The URL without its credentials, for messages and logs. */
      display: string;
      host: string;
      port: number;
      database: string;
      user: string;
    };

export type PostgresLocation = Extract<StoreLocation, { kind: 'postgres' }>;

const SCHEMES = new Set(['postgres:', 'postgresql:']);

/**
 * `--store` wins over `VIGIL_STORE`; neither means the data folder's embedded store. Anything that
 * is not a complete postgres:// URL is refused with one sentence naming what is wrong (never the
 * password it may contain).
 */
export function locateStore(
  option: string | undefined,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): StoreLocation {
  const given = option ?? (env.VIGIL_STORE || undefined);
  if (given === undefined) return { kind: 'embedded', dataDir };
  return parsePostgresUrl(given);
}

/** The shared store only: for commands that make no sense on the embedded one (`store init`). */
export function requirePostgres(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): PostgresLocation {
  const given = option ?? (env.VIGIL_STORE || undefined);
  if (given === undefined)
    throw new VigilError(
      'INVALID_ARGUMENT',
      'This command needs the shared store: give --store postgres://USER@HOST:PORT/DATABASE (or set VIGIL_STORE).',
    );
  return parsePostgresUrl(given);
}

export function parsePostgresUrl(text: string): PostgresLocation {
  const shown = redactUrl(text.trim());
  const bad = (why: string): VigilError =>
    new VigilError(
      'INVALID_ARGUMENT',
      `The store "${shown}" is not usable: ${why}; give postgres://USER@HOST:PORT/DATABASE, or leave --store out for the data folder's own store.`,
    );
  if (!text.trim()) throw bad('it is empty');
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw bad('it is not a URL');
  }
  if (!SCHEMES.has(u.protocol))
    throw bad(`"${u.protocol.replace(/:$/, '')}" is not a supported store (only postgres:// is)`);
  if (!u.hostname) throw bad('it names no host');
  const port = u.port ? Number(u.port) : 5432;
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw bad('it names no database (the path after the host)');
  if (!u.username) throw bad('it names no user (USER@ before the host)');
  return {
    kind: 'postgres',
    url: text.trim(),
    display: redactUrl(text.trim()),
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    database,
    user: decodeURIComponent(u.username),
  };
}

/**
 * The database password, in libpq's order: the URL's own, then PGPASSWORD, then the password file
 * (PGPASSFILE, else ~/.pgpass). Undefined lets the server decide (trust or peer authentication).
 */
export function storePassword(
  loc: PostgresLocation,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const u = new URL(loc.url);
  if (u.password) return decodeURIComponent(u.password);
  if (env.PGPASSWORD) return env.PGPASSWORD;
  const file = env.PGPASSFILE || join(homedir(), '.pgpass');
  return passwordFromFile(file, loc);
}

/** One line of a libpq password file: host:port:database:user:password, `*` matching anything. */
export function passwordFromFile(file: string, loc: PostgresLocation): string | undefined {
  let text: string;
  try {
    // libpq ignores a password file others can read; so does Vigil, rather than trusting it.
    const st = statSync(file);
    if (!st.isFile() || (process.platform !== 'win32' && (st.mode & 0o077) !== 0)) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = [loc.host, String(loc.port), loc.database, loc.user];
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const fields = splitPassLine(line);
    if (fields.length < 5) continue;
    if (wanted.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields[4];
  }
  return undefined;
}

function splitPassLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && out.length < 4) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
