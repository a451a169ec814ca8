import { Engine, type EngineOptions } from '../engine/engine.js';
import { locateStore } from '../store/locator.js';
import type { GlobalOptions } from './vigil.js';

/**
 * The engine options every command opens with: the data folder, the pack, the passphrase
 * (VIGIL_PASSPHRASE / --passphrase-file) and the store `--store` / VIGIL_STORE names (absent: the
 * data folder's own). `folder` forces the data folder's store (migrate-from reads one).
 */
export function engineOptions(g: GlobalOptions, opts: { folder?: boolean } = {}): EngineOptions {
  const passphrase = g.passphrase();
  const loc = opts.folder ? null : locateStore(g.flags.store, g.dataDir);
  return {
    dataDir: g.dataDir,
    pack: g.pack,
    ...(passphrase ? { passphrase } : {}),
    ...(loc?.kind === 'postgres' ? { store: loc } : {}),
  };
}

/**
 * Opens the engine for one command and always closes it. A folder created with a passphrase opens
 * for no command without it; a shared store opens only with the cluster's passphrase.
 */
export async function withEngine<T>(
  g: GlobalOptions,
  fn: (e: Engine) => Promise<T> | T,
  opts: { folder?: boolean } = {},
): Promise<T> {
  const engine = Engine.open(engineOptions(g, opts));
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}
