import type { ApiContext } from '../api/context.js';
import type { SessionUser } from '../contract/contract.js';
import type { Engine } from '../engine/engine.js';

/** A console's context for calling the real Api in tests: no pipeline, events dropped. */
export function testContext(
  engine: Engine,
  user: SessionUser | null,
  extra: Partial<Pick<ApiContext, 'session' | 'kiosk' | 'version'>> = {},
): ApiContext {
  return {
    engine,
    pipeline: null,
    user,
    session: extra.session ?? null,
    kiosk: extra.kiosk ?? false,
    pack: 'default',
    version: extra.version ?? 'test',
    progress: () => {},
    broadcast: () => {},
  };
}
