import { readFileSync } from 'node:fs';
import { discoverCameras, streamUris, type DiscoveredCamera } from '../onvif/discover.js';
import { describeError, VigilError } from '../errors.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';

/**
 * `vigil cameras discover [--timeout MS] [--user U --password-file F]`: ONVIF cameras on the local
 * network; with credentials, each one's RTSP stream URIs (add one with `vigil cameras add`).
 */
export async function runDiscover(
  g: GlobalOptions,
  opts: { timeout?: string; user?: string; passwordFile?: string },
): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? 3000 : Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000)
    throw new UsageError('--timeout takes milliseconds from 100 to 60000');
  let password: string | undefined;
  if (opts.passwordFile) {
    try {
      password = readFileSync(opts.passwordFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch {
      throw new VigilError('INVALID_ARGUMENT', `The password file ${opts.passwordFile} cannot be read.`);
    }
  }
  const cams: DiscoveredCamera[] = await discoverCameras({ timeoutMs });
  if (opts.user !== undefined) {
    for (const c of cams) {
      try {
        c.streams = await streamUris(c.xaddrs[0]!, {
          username: opts.user,
          ...(password !== undefined ? { password } : {}),
        });
      } catch (e) {
        c.error = describeError(e);
      }
    }
  }
  g.out.result(cams, () =>
    cams.length === 0
      ? 'No ONVIF camera answered on the local network.'
      : cams
          .map((c) =>
            [
              `${c.name ?? '(no name)'}  ${c.hardware ?? ''}  ${c.xaddrs.join(' ')}  ${c.urn}`,
              ...(c.streams ?? []).map((s) => `    ${s.profile}: ${s.uri}`),
              ...(c.error ? [`    ${c.error}`] : []),
            ].join('\n'),
          )
          .join('\n'),
  );
  return 0;
}
