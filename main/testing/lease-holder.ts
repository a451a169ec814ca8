import { parsePostgresUrl } from '../store/locator.js';
import { openPool } from '../store/postgres/connect.js';
import { heartbeat, leaveCluster, registerNode, takeLeases } from '../store/postgres/leases.js';

/**
 * A stand-in engine node for the lease tests (a separate process, so SIGKILL is real): joins the
 * cluster, heartbeats and balances leases every `interval` ms, and prints one JSON line each time
 * the set of cameras it holds changes. Not a product command: a node that runs cameras is
 * `vigil serve --store URL --node NAME`, still to come.
 *
 *   node dist/main/testing/lease-holder.js URL NODE CAPACITY EXPIRY_MS INTERVAL_MS
 */
const args = process.argv.slice(2);
if (args.length !== 5) {
  process.stderr.write('usage: lease-holder URL NODE CAPACITY EXPIRY_MS INTERVAL_MS\n');
  process.exit(2);
}
const [url, node, capacity, expiry, interval] = args as [string, string, string, string, string];
const loc = parsePostgresUrl(url);
const pool = openPool(loc, { max: 2 });
const reg = {
  node,
  address: `127.0.0.1:${process.pid}`,
  capacity: Number(capacity),
  leaseExpiryMs: Number(expiry),
};
let last = '';
let stopping = false;

async function round(): Promise<void> {
  if (!(await heartbeat(pool, node))) await registerNode(pool, reg);
  const change = await takeLeases(pool, node);
  const now = JSON.stringify(change.held);
  if (now !== last) {
    last = now;
    process.stdout.write(JSON.stringify({ node, held: change.held }) + '\n');
  }
}

async function loop(): Promise<void> {
  while (!stopping) {
    try {
      await round();
    } catch (e) {
      process.stderr.write(`${node}: ${(e as Error).message}\n`);
    }
    await new Promise((r) => setTimeout(r, Number(interval)));
  }
}

process.on('SIGTERM', () => {
  stopping = true;
  void leaveCluster(pool, node)
    .catch(() => undefined)
    .finally(() => void pool.end().finally(() => process.exit(0)));
});

await registerNode(pool, reg);
void loop();
