import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Engine } from '../engine/engine.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { parsePostgresUrl } from '../store/locator.js';
import { startNode, vigil, waitFor, type NodeProcess } from '../testing/cluster.js';
import { startPostgres } from '../testing/postgres.js';
import { benchArgs, percentile, round } from './args.js';
import { assetsDir } from './assets.js';

/**
 * bench:cluster — several `vigil serve --node` processes on one throwaway PostgreSQL, on this
 * machine, measured through what an operator sees (the console API, /metrics, `vigil` commands):
 *   1. an enrollment on one node, until every other node's own index holds it (p95);
 *   2. strangers walking past two cameras on two different nodes at the same moment: how many
 *      identities each got, after the periodic reconciliation;
 *   3. PostgreSQL stopped for --outage-s while cameras run: sightings the nodes acknowledged
 *      (stored, or buffered on their disk) that are not in the store once it is back;
 *   4. SIGKILL of the busiest node: until its cameras run on the others.
 */
const args = benchArgs({
  nodes: { type: 'string', default: '3' },
  cameras: { type: 'string', default: '6' },
  trials: { type: 'string', default: '10' },
  'outage-s': { type: 'string', default: '20' },
  'warmup-s': { type: 'string', default: '30' },
});

const NODES = Number(args.nodes);
const CAMERAS = Number(args.cameras);
const TRIALS = Number(args.trials);
const OUTAGE_S = Number(args['outage-s']);
const WARMUP_S = Number(args['warmup-s']);
const PASSPHRASE = 'bench cluster passphrase';

if (NODES < 2 || CAMERAS < 2 || CAMERAS % 2 !== 0)
  throw new Error(
    'bench:cluster needs --nodes ≥ 2 and an even --cameras ≥ 2 (strangers are shown on camera pairs).',
  );

const ffmpeg = findFfmpeg();
if (!ffmpeg) throw new Error('ffmpeg is required (apt-get install ffmpeg).');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

const celeba = join(assetsDir(), 'faces', 'celeba');
const people = readdirSync(celeba).sort();
const photosOf = (id: string): string[] =>
  readdirSync(join(celeba, id))
    .sort()
    .map((f) => join(celeba, id, f));

/** A camera with nothing in view: an empty frame, looped. */
function idleClip(out: string): void {
  const r = spawnSync(
    ffmpeg!.path,
    ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=640x480:r=10:d=2', '-pix_fmt', 'yuv420p', out],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make the idle clip: ${r.stderr}`);
}

/**
 * A stranger's clip: their photo, gently panned (motion gating needs something to move) for 4 s,
 * then 2 s of an empty frame, looped by the camera: a new walk-past every 6 s.
 */
function strangerClip(photo: string, out: string): void {
  const r = spawnSync(
    ffmpeg!.path,
    [
      '-v',
      'error',
      '-loop',
      '1',
      '-t',
      '4',
      '-i',
      photo,
      '-filter_complex',
      "[0:v]scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,crop=600:450:x='20+20*sin(t*3)':y='15+15*cos(t*3)',scale=640:480,setsar=1,fps=10,format=yuv420p[a];color=c=black:s=640x480:r=10:d=2,setsar=1,format=yuv420p[b];[a][b]concat=n=2:v=1[out]",
      '-map',
      '[out]',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make a clip of ${photo}: ${r.stderr}`);
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const pgs = await startPostgres();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-cluster-'));
  const env = { VIGIL_STORE: pgs.url, VIGIL_PASSPHRASE: PASSPHRASE, VIGIL_DATA_DIR: join(work, 'cli') };
  const nodes: NodeProcess[] = [];
  try {
    vigil(['store', 'init'], env);
    // Strangers: the last identities of the set (members enrolled below come from the first ones).
    const strangers = people.slice(-CAMERAS / 2);
    const idle = join(work, 'idle.mp4');
    idleClip(idle);
    const cameras = Array.from({ length: CAMERAS }, (_, i) => `cam${String(i + 1).padStart(2, '0')}`);
    for (const cam of cameras)
      vigil(['cameras', 'add', '--id', cam, '--name', `Camera ${cam}`, '--url', idle, '--loop'], env);
    const capacity = Math.ceil(CAMERAS / (NODES - 1));
    for (let i = 1; i <= NODES; i++)
      nodes.push(
        await startNode({ store: pgs.url, name: `node${i}`, passphrase: PASSPHRASE, maxCameras: capacity }),
      );
    const leases = () =>
      JSON.parse(vigil(['cameras', 'status', '--json'], env)) as { camera_id: string; node: string | null }[];
    const share = Math.ceil(CAMERAS / NODES);
    const placed = await waitFor(
      'the cameras shared out',
      () => {
        const l = leases();
        const per = new Map<string, number>();
        for (const c of l) if (c.node) per.set(c.node, (per.get(c.node) ?? 0) + 1);
        return l.every((c) => c.node) && [...per.values()].every((n) => n <= share) ? l : undefined;
      },
      60_000,
      500,
    );
    // Each stranger walks past two cameras that two different nodes watch, at the same moment.
    const byNode = new Map<string, string[]>();
    for (const c of placed) byNode.set(c.node!, [...(byNode.get(c.node!) ?? []), c.camera_id]);
    const cameraOf = new Map<string, string>();
    const clipOf = new Map<string, string>();
    let pairsOnTwoNodes = 0;
    for (const [i, id] of strangers.entries()) {
      // From the two nodes with the most cameras left, one each (one node alone: both from it).
      const [first, second] = [...byNode.values()].sort((x, y) => y.length - x.length);
      const pair = [first!.shift()!, (second?.length ? second : first)!.shift()!];
      const nodeOf = (cam: string) => placed.find((c) => c.camera_id === cam)?.node;
      if (nodeOf(pair[0]!) !== nodeOf(pair[1]!)) pairsOnTwoNodes++;
      const clip = join(work, `stranger${i}.mp4`);
      strangerClip(photosOf(id)[0]!, clip);
      for (const cam of pair) {
        cameraOf.set(cam, id);
        clipOf.set(cam, clip);
      }
    }
    const caller = nodes[0]!;
    for (const [cam, clip] of clipOf) await caller.call('cameras.update', { id: cam, url: clip });
    log(
      `cluster: ${NODES} nodes, ${CAMERAS} cameras (capacity ${capacity} each), ${pairsOnTwoNodes}/${strangers.length} stranger pairs on two nodes`,
    );

    // 1. Enrollment propagation.
    const memberVectors = async (n: NodeProcess) =>
      (await n.metrics()).get('vigil_index_vectors{kind="member"}') ?? 0;
    const propagation: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const on = nodes[t % NODES]!;
      const others = nodes.filter((n) => n !== on);
      const before = await Promise.all(others.map(memberVectors));
      const photos = photosOf(people[t]!)
        .slice(0, 3)
        .map((p) => ({ name: p, data: readFileSync(p).toString('base64') }));
      const r = await on.call('members.enroll', { member: { name: `Bench member ${t}` }, photos });
      const committed = Date.now();
      await Promise.all(
        others.map((n, i) =>
          waitFor(
            `enrollment ${t} on ${n.name}`,
            async () => ((await memberVectors(n)) >= before[i]! + r.embeddings_count ? true : undefined),
            30_000,
            20,
          ),
        ),
      );
      propagation.push(Date.now() - committed);
    }
    propagation.sort((a, b) => a - b);
    log(
      `enrollment → matched on every other node: p50 ${percentile(propagation, 50)} ms, p95 ${percentile(propagation, 95)} ms (${TRIALS} trials)`,
    );

    // 2. Let the strangers walk past for a while, then the outage.
    await sleep(WARMUP_S * 1000);
    const acknowledged = async () => {
      let n = 0;
      for (const node of nodes)
        if (node.proc.exitCode === null)
          n += (await node.metrics()).get('vigil_sightings_recorded_total') ?? 0;
      return n;
    };
    const pending = async () => {
      let n = 0;
      for (const node of nodes) n += (await node.metrics()).get('vigil_store_buffer_pending') ?? 0;
      return n;
    };
    log(`store down for ${OUTAGE_S} s`);
    pgs.stopServer();
    // What the nodes kept in their journals meanwhile (a lost-nothing figure over no writes would prove nothing).
    let peakPending = 0;
    const outageEnds = Date.now() + OUTAGE_S * 1000;
    while (Date.now() < outageEnds) {
      peakPending = Math.max(peakPending, await pending());
      await sleep(1000);
    }
    pgs.startServer();
    log(`store back; ${peakPending} writes were waiting in the nodes' journals at the most`);
    await waitFor('buffers flushed', async () => ((await pending()) === 0 ? true : undefined), 120_000, 500);
    // Stop the cameras (their open tracks are written) before counting.
    for (const cam of cameras) await caller.call('cameras.update', { id: cam, recognition_enabled: false });
    await sleep(8000);
    await waitFor('buffers flushed', async () => ((await pending()) === 0 ? true : undefined), 60_000, 500);
    const acked = await acknowledged();
    const client = new pg.Client({ connectionString: pgs.url });
    await client.connect();
    const stored = Number((await client.query('SELECT count(*) AS n FROM appearances')).rows[0].n);
    log(`sightings: ${acked} acknowledged by the nodes, ${stored} in the store`);

    // 3. Identities per stranger, after the reconciliation every node runs periodically.
    const idsPerStranger = async (): Promise<number[]> => {
      const rows = (
        await client.query<{ camera_id: string; person_id: string }>(
          `SELECT DISTINCT a.camera_id, COALESCE(u.identified_as, a.person_id) AS person_id FROM appearances a
           JOIN unknown_persons u ON u.unknown_id = a.person_id WHERE a.person_kind = 'unknown'`,
        )
      ).rows;
      return strangers.map(
        (id) => new Set(rows.filter((r) => cameraOf.get(r.camera_id) === id).map((r) => r.person_id)).size,
      );
    };
    const beforeMerge = await idsPerStranger();
    const engine = Engine.open({
      dataDir: join(work, 'reconcile'),
      store: parsePostgresUrl(pgs.url),
      passphrase: PASSPHRASE,
      actor: 'bench',
    });
    const merged = engine.mergeUnknowns();
    engine.close();
    const afterMerge = await idsPerStranger();
    const duplicates = afterMerge.reduce((s, n) => s + Math.max(0, n - 1), 0);
    log(
      `identities per stranger: before reconciliation ${beforeMerge.join(',')}, after ${afterMerge.join(',')} (${merged.length} merges)`,
    );

    // 4. Failover: cameras back, then SIGKILL the busiest node.
    for (const cam of cameras) await caller.call('cameras.update', { id: cam, recognition_enabled: true });
    const online = async (n: NodeProcess, cam: string) =>
      ((await n.metrics()).get(`vigil_camera_state{camera="${cam}",state="online"}`) ?? 0) === 1;
    const busiest = [...nodes].sort(
      (a, b) =>
        leases().filter((c) => c.node === b.name).length - leases().filter((c) => c.node === a.name).length,
    )[0]!;
    const theirs = leases()
      .filter((c) => c.node === busiest.name)
      .map((c) => c.camera_id);
    await waitFor(
      `${busiest.name} cameras online`,
      async () =>
        (await Promise.all(theirs.map((c) => online(busiest, c)))).every(Boolean) ? true : undefined,
      60_000,
      500,
    );
    await busiest.kill('SIGKILL');
    const killed = Date.now();
    const survivors = nodes.filter((n) => n !== busiest);
    await waitFor(
      'cameras online on the survivors',
      async () => {
        for (const cam of theirs) {
          const up = await Promise.all(survivors.map((n) => online(n, cam)));
          if (!up.some(Boolean)) return undefined;
        }
        return true;
      },
      90_000,
      250,
    );
    const failoverS = (Date.now() - killed) / 1000;
    log(
      `failover: ${theirs.length} cameras of ${busiest.name} online on the others ${round(failoverS, 1)} s after SIGKILL`,
    );
    await client.end();
    const load1 = loadavg()[0]!;
    log(`machine load (1 min): ${round(load0, 2)} at start, ${round(load1, 2)} at end`);
    process.stdout.write(
      JSON.stringify({
        nodes: NODES,
        cameras: CAMERAS,
        enroll_propagation_p95_ms: percentile(propagation, 95),
        failover_s: round(failoverS, 1),
        duplicate_unknowns: duplicates,
        duplicate_unknowns_before_reconciliation: beforeMerge.reduce((s, n) => s + Math.max(0, n - 1), 0),
        lost_sightings: Math.max(0, acked - stored),
        sightings_acknowledged: acked,
        writes_buffered_peak: peakPending,
        stranger_pairs_on_two_nodes: pairsOnTwoNodes,
        load_1m: [round(load0, 2), round(load1, 2)],
      }) + '\n',
    );
  } finally {
    for (const n of nodes) await n.kill('SIGTERM').catch(() => undefined);
    pgs.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:cluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
