import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster for tests: Debian's `postgresql` package (initdb + pg_ctl) into a
 * temporary folder, on a free port of 127.0.0.1, with its unix socket inside that folder so it
 * never meets a system cluster. PostgreSQL refuses to run as root, so as root the folder belongs
 * to the `postgres` account and the binaries run through runuser.
 */
export interface TestPostgres {
  /** postgres://vigil:PASSWORD@127.0.0.1:PORT/vigil — password authentication (scram), as on a real site. */
  url: string;
  user: string;
  password: string;
  host: string;
  port: number;
  /** A second database in the same cluster, for a test that needs an empty target. */
  createDatabase(name: string): string;
  /** Stops the server but keeps its data, as an outage would; `startServer()` brings it back on the same port. */
  stopServer(): void;
  startServer(): void;
  stop(): void;
}

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin folder, or null. */
export function postgresBinDir(): string | null {
  if (process.env.VIGIL_PG_BIN)
    return existsSync(join(process.env.VIGIL_PG_BIN, 'initdb')) ? process.env.VIGIL_PG_BIN : null;
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter(
      (v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(PG_ROOT, versions[0], 'bin') : null;
}

export const HAVE_POSTGRES = postgresBinDir() !== null;

export const POSTGRES_MISSING =
  `PostgreSQL's server binaries (initdb, pg_ctl) are not installed under ${PG_ROOT}/*/bin: ` +
  'install Debian\'s "postgresql" package (bash .ci/setup does it as root) or set VIGIL_PG_BIN.';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresAccount(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0)
    throw new Error(
      'Tests run as root need the "postgres" account (PostgreSQL refuses to run as root); install Debian\'s "postgresql" package, which creates it.',
    );
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function run(bin: string, args: string[]): SpawnSyncReturns<string> {
  const cmd = asRoot ? 'runuser' : bin;
  const argv = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  return spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
}

function check(what: string, r: SpawnSyncReturns<string>): void {
  if (r.status !== 0)
    throw new Error(
      `${what} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).trim()}`,
    );
}

const running = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Every cluster folder (`vigil-pg-*` in the temp folder) carries this file, naming the process that
 * started it. A test process killed outright (a vitest worker that crashed or was killed) never runs
 * its exit hook; the next start, or the run's global setup and teardown, stops such a cluster and
 * removes its folder. Folders without the marker, or whose owner still runs, are never touched.
 */
const MARKER = 'vigil-test-cluster.json';
const PREFIX = 'vigil-pg-';

interface Marker {
  owner: number;
  /** The owner's start time (/proc/PID/stat), so a reused pid is not mistaken for it. */
  ownerStart: string | null;
  bin: string;
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses; field 22 is starttime.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function ownerAlive(m: Marker): boolean {
  try {
    process.kill(m.owner, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = m.ownerStart === null ? null : processStart(m.owner);
  // Without /proc the pid alone decides, erring towards leaving the cluster alone.
  return start === null || start === m.ownerStart;
}

function readMarker(root: string): Marker | null {
  try {
    const m = JSON.parse(readFileSync(join(root, MARKER), 'utf8')) as Partial<Marker>;
    if (!Number.isInteger(m.owner) || typeof m.bin !== 'string') return null;
    return { owner: m.owner as number, ownerStart: m.ownerStart ?? null, bin: m.bin };
  } catch {
    return null;
  }
}

/**
 * Stops the clusters of this helper whose owning process is gone and removes their folders;
 * returns the folders removed. A cluster that will not stop keeps its folder.
 */
export function reapOrphanClusters(dir: string = tmpdir()): string[] {
  const reaped: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(PREFIX));
  } catch {
    return reaped;
  }
  for (const name of names) {
    const root = join(dir, name);
    const m = readMarker(root);
    if (!m || ownerAlive(m)) continue;
    const data = join(root, 'data');
    const bin = existsSync(join(m.bin, 'pg_ctl')) ? m.bin : postgresBinDir();
    if (existsSync(join(data, 'postmaster.pid'))) {
      if (!bin) continue;
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      // 3: no server running (a stale pid file included); anything else, leave it be.
      if (run(join(bin, 'pg_ctl'), ['-D', data, 'status']).status !== 3) continue;
    }
    rmSync(root, { recursive: true, force: true });
    reaped.push(root);
  }
  return reaped;
}

/** Starts a new cluster; `stop()` (also run at process exit) shuts it down and removes its folder. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(POSTGRES_MISSING);
  reapOrphanClusters();
  const root = mkdtempSync(join(tmpdir(), PREFIX));
  const marker: Marker = { owner: process.pid, ownerStart: processStart(process.pid), bin };
  writeFileSync(join(root, MARKER), JSON.stringify(marker));
  const data = join(root, 'data');
  const user = 'vigil';
  const password = randomBytes(12).toString('hex');
  const pwfile = join(root, 'pw');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (asRoot) {
    const { uid, gid } = postgresAccount();
    chownSync(root, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  chmodSync(root, 0o700);
  const cleanup = (): void => rmSync(root, { recursive: true, force: true });
  try {
    check(
      'initdb',
      run(join(bin, 'initdb'), [
        '-D',
        data,
        '-U',
        user,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ]),
    );
  } catch (e) {
    cleanup();
    throw e;
  }
  rmSync(pwfile);
  let port = 0;
  let started = false;
  // fsync off: a test cluster is thrown away, and on a shared machine fsync only adds waiting.
  const start = (): SpawnSyncReturns<string> =>
    run(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(root, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`,
      'start',
    ]);
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = await freePort();
    const r = start();
    started = r.status === 0;
    if (!started && attempt === 4) {
      cleanup();
      check('pg_ctl start', r);
    }
  }
  const stop = (): void => {
    if (!running.delete(stop)) return;
    run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    cleanup();
  };
  running.add(stop);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test run that dies must not leave a server behind.
    process.once('exit', () => {
      for (const s of [...running]) s();
    });
  }
  const host = '127.0.0.1';
  const urlFor = (db: string): string =>
    `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${db}`;
  // initdb makes only "postgres"; the cluster's own database is named like its owner.
  const createDatabase = (name: string): string => {
    check('createdb', run(join(bin, 'createdb'), ['-h', root, '-p', String(port), '-U', user, name]));
    return urlFor(name);
  };
  createDatabase(user);
  // Immediate, as a crash or a pulled cable would: no goodbye to the clients.
  const stopServer = (): void =>
    check('pg_ctl stop', run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']));
  const startServer = (): void => check('pg_ctl start', start());
  return { url: urlFor(user), user, password, host, port, createDatabase, stopServer, startServer, stop };
}
