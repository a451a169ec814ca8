import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDemo } from '../demo/demo-camera.js';
import { packageRoot } from '../paths.js';
import { findFfmpeg } from '../source/ffmpeg.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every sample belongs to a
 * family declared by # TYPE before it, names and labels follow the grammar, values are numbers,
 * histograms have cumulative buckets ending in +Inf equal to _count. Anything else throws.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m || !NAME.test(m[2]!)) throw new Error(`line ${i + 1}: bad comment: ${line}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!))
          throw new Error(`line ${i + 1}: unknown type ${m[3]}`);
        if (types.has(m[2]!)) throw new Error(`line ${i + 1}: ${m[2]} typed twice`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: bad sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < m[2].length) {
        re.lastIndex = pos;
        const l = re.exec(m[2]);
        if (!l) throw new Error(`line ${i + 1}: bad labels: ${m[2]}`);
        labels[l[1]!] = l[2]!;
        pos = re.lastIndex;
      }
    }
    const v = m[3]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : v === 'NaN' ? NaN : Number(v);
    if (!/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/.test(v))
      throw new Error(`line ${i + 1}: bad value ${v}`);
    const name = m[1]!;
    const family = [...types.keys()].find(
      (f) =>
        name === f ||
        (types.get(f) === 'histogram' &&
          /^(_bucket|_sum|_count)$/.test(name.slice(f.length)) &&
          name.startsWith(f)),
    );
    if (!family) throw new Error(`line ${i + 1}: ${name} has no # TYPE`);
    samples.push({ name, labels, value });
  }
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      for (let j = 1; j < buckets.length; j++)
        if (buckets[j]!.value < buckets[j - 1]!.value) throw new Error(`${family} buckets not cumulative`);
      const last = buckets[buckets.length - 1]!;
      if (last.labels.le !== '+Inf') throw new Error(`${family} has no +Inf bucket`);
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key);
      if (!count || count.value !== last.value)
        throw new Error(`${family}_count differs from its +Inf bucket`);
    }
  }
  return { types, samples };
}

describe('GET /metrics on vigil serve', () => {
  let dir: string;
  let base: string;
  let serve: ChildProcessByStdio<null, Readable, Readable>;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    dir = mkdtempSync(join(tmpdir(), 'vigil-metrics-'));
    await prepareDemo({ dataDir: dir, ffmpeg: ffmpeg.path, pack: 'default' });
    serve = spawn(process.execPath, [CLI, 'serve', '--data-dir', dir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (d: Buffer) => {
        out += String(d);
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      serve.on('exit', (code) => reject(new Error(`vigil serve exited ${code}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const done = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      await done;
    }
  });

  const token = () => readFileSync(join(dir, 'metrics.token'), 'utf8').trim();

  it('refuses a scrape without the metrics token, with a wrong one and with the machine token', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const machine = (JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8')) as { token: string }).token;
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${machine}` } })).status).toBe(
      401,
    );
    // Refusals land in the data folder's log file, which vigil serve writes.
    const logged = readFileSync(join(dir, 'vigil.log'), 'utf8');
    expect(logged).toMatch(/"event":"metrics_refused"/);
    // And the metrics token opens nothing else.
    const api = await fetch(`${base}/api/cameras/status`, {
      headers: { authorization: `Bearer ${token()}` },
    });
    expect(api.status).toBe(401);
  });

  it('serves the camera, inference, recognition and store metrics in the Prometheus text format', async () => {
    let parsed: ReturnType<typeof parseExposition> | undefined;
    const value = (name: string, labels: Record<string, string> = {}) =>
      parsed?.samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value ?? 0;
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token()}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      parsed = parseExposition(await res.text());
      if (
        value('vigil_recognitions_total', { camera: 'demo' }) > 0 &&
        value('vigil_faces_embedded_total') > 0
      )
        break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(parsed!.types.get('vigil_inference_seconds')).toBe('histogram');
    expect(value('vigil_camera_state', { camera: 'demo', state: 'online' })).toBe(1);
    expect(value('vigil_camera_fps', { camera: 'demo' })).toBeGreaterThan(0);
    expect(value('vigil_frames_decoded_total', { camera: 'demo' })).toBeGreaterThan(0);
    expect(
      parsed!.samples.some((s) => s.name === 'vigil_frames_dropped_total' && s.labels.camera === 'demo'),
    ).toBe(true);
    expect(value('vigil_inference_seconds_count', { stage: 'detect' })).toBeGreaterThan(0);
    expect(value('vigil_frame_latency_seconds_count', { camera: 'demo' })).toBeGreaterThan(0);
    expect(value('vigil_faces_detected_total', { camera: 'demo' })).toBeGreaterThan(0);
    expect(value('vigil_faces_embedded_total')).toBeGreaterThan(0);
    expect(value('vigil_recognitions_total', { camera: 'demo' })).toBeGreaterThan(0);
    expect(value('vigil_store_bytes')).toBeGreaterThan(0);
    expect(parsed!.types.has('vigil_inference_queue_depth')).toBe(true);
    expect(parsed!.types.has('vigil_alerts_total')).toBe(true);
    if (process.platform === 'linux')
      expect(value('vigil_decoder_cpu_seconds_total', { camera: 'demo' })).toBeGreaterThan(0);
  }, 90_000);

  it('rotating the token refuses the old one at once', async () => {
    const old = token();
    const r = spawnSync(
      process.execPath,
      [CLI, 'metrics', 'token', '--rotate', '--data-dir', dir, '--json'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const fresh = (JSON.parse(r.stdout) as { token: string }).token;
    expect(fresh).not.toBe(old);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${old}` } })).status).toBe(
      401,
    );
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(
      200,
    );
  });
});

describe('the strict exposition parser', () => {
  it('rejects what Prometheus would reject', () => {
    expect(() => parseExposition('x 1\n')).toThrow(/no # TYPE/);
    expect(() => parseExposition('# TYPE x gauge\nx{a="1" 1\n')).toThrow(/bad sample|bad labels/);
    expect(() => parseExposition('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() =>
      parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n'),
    ).toThrow(/cumulative/);
    expect(
      parseExposition('# HELP x a gauge\n# TYPE x gauge\nx{a="q\\"uote"} 1.5e3\n').samples[0]!.value,
    ).toBe(1500);
  });
});

describe('the example Grafana dashboard', () => {
  it('queries only metrics the engine exposes', async () => {
    const dash = JSON.parse(readFileSync(join(packageRoot(), 'assets', 'grafana', 'vigil.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const { EngineMetrics } = await import('./metrics.js');
    const families = parseExposition((await new EngineMetrics(tmpdir()).render()).body).types;
    const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/vigil_[a-z_]+/g) ?? []));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(families.has(name.replace(/_(bucket|sum|count)$/, ''))).toBe(true);
  });
});
