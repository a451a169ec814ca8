import { describeError } from '../../errors.js';
import { discoverCameras, streamUris } from '../../onvif/discover.js';
import { actorOf, type Handlers } from '../context.js';

/** ONVIF discovery for the console's camera setup; credentials are used once, never stored. */
export const discoveryHandlers: Pick<Handlers, 'cameras.discover'> = {
  'cameras.discover': async (ctx, p) => {
    const cams = await discoverCameras({ timeoutMs: p.timeout_ms ?? 3000 });
    if (p.username !== undefined) {
      for (const c of cams) {
        if (!c.xaddrs[0]) continue;
        try {
          c.streams = await streamUris(c.xaddrs[0], {
            username: p.username,
            ...(p.password !== undefined ? { password: p.password } : {}),
          });
        } catch (e) {
          c.error = describeError(e);
        }
      }
    }
    ctx.engine.store.audit.append({
      actor: actorOf(ctx),
      action: 'cameras_discovered',
      details: { found: cams.length },
    });
    return cams;
  },
};
