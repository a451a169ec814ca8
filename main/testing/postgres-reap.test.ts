import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { processAlive } from '../util/process-alive.js';
import { reapOrphanClusters, startPostgres, type TestPostgres } from './postgres.js';
import { describeWithPostgres } from './postgres-suite.js';

const OWNER = join(packageRoot(), 'dist', 'main', 'testing', 'postgres-owner.js');

/** The cluster folder whose marker names `pid` as its owner. */
function folderOf(pid: number): string | undefined {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith('vigil-pg-'))
    .map((n) => join(tmpdir(), n))
    .find((root) => {
      try {
        return (
          (JSON.parse(readFileSync(join(root, 'vigil-test-cluster.json'), 'utf8')) as { owner: number })
            .owner === pid
        );
      } catch {
        return false;
      }
    });
}

const postmasterOf = (root: string): number =>
  Number(readFileSync(join(root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

describeWithPostgres('throwaway PostgreSQL clusters of a test process that died', () => {
  let own: TestPostgres | null = null;
  afterAll(() => own?.stop());

  it('are stopped and removed; a live owner’s cluster is left alone', async () => {
    // Started first: startPostgres itself reaps orphans, and this test wants to see the reaper do it.
    own = await startPostgres();
    const mine = folderOf(process.pid);
    expect(mine).toBeDefined();
    const child = spawn(process.execPath, [OWNER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf);
      });
      child.once('exit', (code) => reject(new Error(`postgres-owner exited with ${code}`)));
    });
    expect(JSON.parse(line)).toHaveProperty('port');
    const root = folderOf(child.pid!);
    expect(root).toBeDefined();
    const postmaster = postmasterOf(root!);
    // A worker killed outright runs no exit hook: its server outlives it.
    child.kill('SIGKILL');
    await exited;
    expect(processAlive(postmaster)).toBe(true);

    const reaped = reapOrphanClusters();
    expect(reaped).toContain(root);
    expect(existsSync(root!)).toBe(false);
    // pg_ctl returns once the pid file is gone; the process itself exits (and is reaped) just after.
    await expect.poll(() => processAlive(postmaster), { timeout: 30_000, interval: 100 }).toBe(false);
    // This process still runs: its cluster stays up and keeps its folder.
    expect(reaped).not.toContain(mine);
    expect(existsSync(join(mine!, 'data', 'postmaster.pid'))).toBe(true);
    expect(processAlive(postmasterOf(mine!))).toBe(true);
  }, 180_000);
});
