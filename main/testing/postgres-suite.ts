import { describe, it } from 'vitest';
import { HAVE_POSTGRES, POSTGRES_MISSING } from './postgres.js';

/**
 * describe() for suites that need a PostgreSQL server: skipped on a developer machine without one,
 * failing under CI=true, where the shared store must never pass untested.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (HAVE_POSTGRES) describe(name, fn);
  else if (process.env.CI === 'true')
    describe(name, () => {
      it('has PostgreSQL installed', () => {
        throw new Error(POSTGRES_MISSING);
      });
    });
  else describe.skip(`${name} (PostgreSQL is not installed)`, fn);
}
