import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import WebSocket from 'ws';
import { WS_PATH, WS_PROTOCOL, type MethodName, type Params, type Result } from '../contract/contract.js';
import { packageRoot } from '../paths.js';

/**
 * Engine nodes of a cluster as real `vigil serve --store URL --node NAME` processes on 127.0.0.1,
 * each with its own data folder, for the cluster tests and bench:cluster. Nodes are reached the
 * way an operator's tools reach them: the machine token in serve.json for the console API, the
 * metrics token for /metrics, the CLI for everything else.
 */

export const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

export interface NodeProcess {
  name: string;
  dataDir: string;
  base: string;
  proc: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything the node printed so far (stdout and stderr). */
  output(): string;
  /** Calls a console API method with the machine token (the folder owner acts as administrator). */
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  /** One scrape of /metrics: sample name with labels → value. */
  metrics(): Promise<Map<string, number>>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface NodeStart {
  store: string;
  name: string;
  passphrase: string;
  maxCameras?: number;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra arguments for serve. */
  args?: string[];
}

/** Runs a vigil CLI command against the cluster's store; its stdout on success, else it throws. */
export function vigil(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`vigil ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const sampleKey = (name: string, labels: string): string => (labels ? `${name}{${labels}}` : name);

/** Prometheus text → `name{a="x",b="y"}` (labels as printed) → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (m) out.set(sampleKey(m[1]!, m[2] ?? ''), Number(m[3]));
  }
  return out;
}

export async function startNode(opts: NodeStart): Promise<NodeProcess> {
  if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `vigil-node-${opts.name}-`));
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--store',
      opts.store,
      '--node',
      opts.name,
      '--data-dir',
      dataDir,
      '--port',
      '0',
      ...(opts.maxCameras !== undefined ? ['--max-cameras', String(opts.maxCameras)] : []),
      ...(opts.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env, VIGIL_PASSPHRASE: opts.passphrase },
    },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += String(d)));
  proc.stderr.on('data', (d: Buffer) => (out += String(d)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node ${opts.name} did not join in 120 s:\n${out}`)),
      120_000,
    );
    const onData = (): void => {
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m && new RegExp(`node ${opts.name} joined`).test(out)) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${opts.name} exited ${code}:\n${out}`));
    });
  });
  const token = (JSON.parse(readFileSync(join(dataDir, 'serve.json'), 'utf8')) as { token: string }).token;
  const metricsToken = readFileSync(join(dataDir, 'metrics.token'), 'utf8').trim();
  return {
    name: opts.name,
    dataDir,
    base,
    proc,
    output: () => out,
    call: (method, params) => callNode(base, token, method, params),
    metrics: async () => {
      const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      if (res.status !== 200) throw new Error(`node ${opts.name} /metrics answered ${res.status}`);
      return parseMetrics(await res.text());
    },
    kill: async (signal) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await gone;
    },
  };
}

/** One request over the console's WebSocket, authenticated with the node's machine token. */
export function callNode<M extends MethodName>(
  base: string,
  token: string,
  method: M,
  params: Params<M>,
): Promise<Result<M>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${WS_PATH}`, [WS_PROTOCOL], {
      headers: { authorization: `Bearer ${token}` },
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${method} on ${base}: no answer in 120 s`));
    }, 120_000);
    ws.on('open', () => ws.send(JSON.stringify({ kind: 'request', id: 1, method, params })));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as
        | { kind: 'response'; id: number; ok: true; result: Result<M> }
        | { kind: 'response'; id: number; ok: false; error: { message: string } }
        | { kind: 'event' };
      if (msg.kind !== 'response' || msg.id !== 1) return;
      clearTimeout(timer);
      ws.close();
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`${method} on ${base}: ${msg.error.message}`));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
