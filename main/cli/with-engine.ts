import { Engine } from '../engine/engine.js';
import type { GlobalOptions } from './vigil.js';

/**
 * Opens the data folder's engine for one command and always closes it. The passphrase
 * (VIGIL_PASSPHRASE / --passphrase-file), when one is given, unlocks the whole folder: a folder
 * created with one opens for no command without it.
 */
export async function withEngine<T>(g: GlobalOptions, fn: (e: Engine) => Promise<T> | T): Promise<T> {
  const passphrase = g.passphrase();
  const engine = Engine.open({ dataDir: g.dataDir, pack: g.pack, ...(passphrase ? { passphrase } : {}) });
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}
