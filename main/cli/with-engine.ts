import { Engine } from '../engine/engine.js';
import type { GlobalOptions } from './vigil.js';

/**
 * Opens the data folder's engine for one command and always closes it. `withKey` unlocks the
 * encrypted crops with the passphrase (VIGIL_PASSPHRASE / --passphrase-file), when one is given.
 */
export async function withEngine<T>(
  g: GlobalOptions,
  fn: (e: Engine) => Promise<T> | T,
  options: { withKey?: boolean } = {},
): Promise<T> {
  const passphrase = options.withKey ? g.passphrase() : undefined;
  const engine = Engine.open({ dataDir: g.dataDir, pack: g.pack, ...(passphrase ? { passphrase } : {}) });
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}
