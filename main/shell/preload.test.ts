import { build } from 'esbuild';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleEvent, VigilApi } from '../contract/contract.js';
import { packageRoot } from '../paths.js';

/**
 * The preload as Electron runs it: the same esbuild bundle as preload/build.mjs, evaluated as a
 * plain script in a fresh context whose only `require` answers 'electron'. contextBridge and
 * ipcRenderer are the one thing replaced (Electron cannot run here): they record what the
 * preload exposes and sends.
 */

type Handler = (event: unknown, payload: unknown) => void;

interface Harness {
  exposed: { key: string; api: unknown }[];
  invoked: { channel: string; args: unknown[] }[];
  listeners: Map<string, Set<Handler>>;
  required: string[];
  reply: unknown;
}

let bundle = '';

function load(): Harness {
  const h: Harness = { exposed: [], invoked: [], listeners: new Map(), required: [], reply: undefined };
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => h.exposed.push({ key, api }),
    },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        h.invoked.push({ channel, args });
        return h.reply;
      },
      on: (channel: string, fn: Handler) => {
        if (!h.listeners.has(channel)) h.listeners.set(channel, new Set());
        h.listeners.get(channel)!.add(fn);
      },
      removeListener: (channel: string, fn: Handler) => {
        h.listeners.get(channel)?.delete(fn);
      },
    },
  };
  const module = { exports: {} };
  runInNewContext(bundle, {
    module,
    exports: module.exports,
    require: (name: string) => {
      h.required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron;
    },
  });
  return h;
}

const apiOf = (h: Harness) => h.exposed[0]!.api as VigilApi;
const emit = (h: Harness, e: ConsoleEvent) => {
  for (const fn of h.listeners.get('vigil:event') ?? []) fn({ sender: 'ipc-event-object' }, e);
};

beforeAll(async () => {
  const root = packageRoot();
  const out = await build({
    entryPoints: [join(root, 'preload', 'preload.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  bundle = out.outputFiles[0]!.text;
});

describe('preload', () => {
  it('exposes exactly window.vigil with the two functions of the contract', () => {
    const h = load();
    expect(h.exposed.map((e) => e.key)).toEqual(['vigil']);
    const api = h.exposed[0]!.api as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual(['invoke', 'onEvent']);
    expect(typeof api.invoke).toBe('function');
    expect(typeof api.onEvent).toBe('function');
    // Nothing else leaks: no ipcRenderer, no require, no Node globals on the API.
    expect(JSON.stringify(Object.getOwnPropertyNames(api).sort())).toBe('["invoke","onEvent"]');
  });

  it('needs nothing but electron, as a sandboxed preload must', () => {
    const h = load();
    expect([...new Set(h.required)]).toEqual(['electron']);
  });

  it('sends a call on the one invoke channel and returns its result', async () => {
    const h = load();
    h.reply = { ok: true, result: { needs_setup: true, user: null } };
    await expect(apiOf(h).invoke('auth.status', {})).resolves.toEqual({ needs_setup: true, user: null });
    expect(h.invoked).toEqual([{ channel: 'vigil:invoke', args: [{ method: 'auth.status', params: {} }] }]);
  });

  it("rejects with the engine's code and sentence as a plain object", async () => {
    const h = load();
    h.reply = {
      ok: false,
      error: { code: 'FORBIDDEN', message: 'Your role (viewer) is not allowed to do this (users.manage).' },
    };
    const err = await apiOf(h)
      .invoke('users.list', {})
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toEqual({
      code: 'FORBIDDEN',
      message: 'Your role (viewer) is not allowed to do this (users.manage).',
    });
    // Realm-independent: an Error (of any context) would read [object Error].
    expect(Object.prototype.toString.call(err)).toBe('[object Object]');

    h.reply = {
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'No face was found.', detail: 'NO_FACE' },
    };
    await expect(
      apiOf(h).invoke('members.checkPhoto', { photo: { name: 'a', data: 'AA==' } }),
    ).rejects.toEqual({
      code: 'INVALID_INPUT',
      message: 'No face was found.',
      detail: 'NO_FACE',
    });
  });

  it('hands listeners the event alone and unsubscribes them', () => {
    const h = load();
    const got: unknown[][] = [];
    const off = apiOf(h).onEvent((...args: unknown[]) => got.push(args));
    expect(h.listeners.get('vigil:event')?.size).toBe(1);
    const e: ConsoleEvent = { type: 'stats', cameras: 2, frames_analysed: 10, frames_dropped: 1 };
    emit(h, e);
    // The IpcRendererEvent (with its sender) never reaches the page.
    expect(got).toEqual([[e]]);
    off();
    expect(h.listeners.get('vigil:event')?.size).toBe(0);
    emit(h, e);
    expect(got).toHaveLength(1);
  });

  it('refuses a listener that is not a function', () => {
    const h = load();
    expect(() => apiOf(h).onEvent('x' as unknown as () => void)).toThrow(/onEvent takes a function/);
    expect(h.listeners.get('vigil:event')?.size ?? 0).toBe(0);
  });
});
