import { log } from '../log.js';
import { reapOrphanClusters } from './postgres.js';

/**
 * vitest globalSetup: a run starts and ends without throwaway PostgreSQL clusters whose test
 * process died before it could stop them (a killed or crashed worker runs no exit hook).
 */
function reap(when: 'setup' | 'teardown'): void {
  const reaped = reapOrphanClusters();
  if (reaped.length > 0) log('warn', 'test_postgres_orphans_stopped', { when, count: reaped.length });
}

export function setup(): () => void {
  reap('setup');
  return () => reap('teardown');
}
