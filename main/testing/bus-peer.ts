import { createInterface } from 'node:readline';
import { ClusterBus } from '../cluster/bus.js';
import { describeError } from '../errors.js';
import { parsePostgresUrl } from '../store/locator.js';

/**
 * A cluster bus in a process of its own, for the bus tests: prints one JSON line per connection
 * (`{"connected":N}`) and per notification received on vigil_events (`{"event":PAYLOAD}`), and
 * publishes each line read from stdin on vigil_events (`{"published":true}` or `{"refused":SENTENCE}`).
 *
 *   node dist/main/testing/bus-peer.js URL
 */
const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: bus-peer URL\n');
  process.exit(2);
}
const say = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');
const bus = new ClusterBus(parsePostgresUrl(url), { backoff: { initialMs: 100, maxMs: 1_000 } });
bus.onResync(() => say({ connected: bus.connections }));
bus.on('events', (payload) => say({ event: payload }));
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  bus.publish('events', line).then(
    () => say({ published: true }),
    (e: unknown) => say({ refused: describeError(e) }),
  );
});
lines.on('close', () => void bus.close().then(() => process.exit(0)));
void bus.start();
