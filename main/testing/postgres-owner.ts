import { startPostgres } from './postgres.js';

/**
 * A process that starts a throwaway cluster, prints its port and then waits to be killed: a test
 * worker that dies without running its exit hook (postgres-reap.test.ts).
 */
const pg = await startPostgres();
process.stdout.write(`${JSON.stringify({ port: pg.port })}\n`);
setInterval(() => undefined, 60_000);
