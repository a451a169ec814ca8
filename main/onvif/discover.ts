import onvif from 'onvif';
import { VigilError } from '../errors.js';
import { log } from '../log.js';

/** A camera that answered a WS-Discovery probe on the local network. */
export interface DiscoveredCamera {
  /** Its WS-Addressing endpoint (urn:uuid:…): stable across address changes. */
  urn: string;
  /** From its ONVIF scopes (onvif://www.onvif.org/name/…, …/hardware/…), when it states them. */
  name: string | null;
  hardware: string | null;
  /** Device service URLs (http://HOST/onvif/device_service). */
  xaddrs: string[];
  /** Filled by streamUris() once credentials are given: RTSP URI per media profile. */
  streams?: { profile: string; uri: string }[];
  /** Why the streams could not be listed (wrong password, not reachable). */
  error?: string;
}

interface ProbeMatch {
  probeMatches?: {
    probeMatch?: {
      endpointReference?: { address?: string };
      scopes?: string | { _?: string };
      XAddrs?: string;
    };
  };
}

function scope(scopes: string, kind: string): string | null {
  const hit = scopes.split(/\s+/).find((s) => s.startsWith(`onvif://www.onvif.org/${kind}/`));
  if (!hit) return null;
  try {
    return decodeURIComponent(hit.slice(`onvif://www.onvif.org/${kind}/`.length)) || null;
  } catch {
    return hit.slice(`onvif://www.onvif.org/${kind}/`.length) || null;
  }
}

/** Reads one probe match; a malformed answer (any device may send one) is skipped, never thrown. */
export function parseProbeMatch(raw: unknown): DiscoveredCamera | null {
  const m = (raw as ProbeMatch | null)?.probeMatches?.probeMatch;
  const urn = m?.endpointReference?.address;
  if (!m || typeof urn !== 'string' || !urn) return null;
  const scopes = typeof m.scopes === 'string' ? m.scopes : (m.scopes?._ ?? '');
  const xaddrs = (typeof m.XAddrs === 'string' ? m.XAddrs : '')
    .split(/\s+/)
    .filter((x) => /^https?:\/\//i.test(x));
  return { urn, name: scope(scopes, 'name'), hardware: scope(scopes, 'hardware'), xaddrs };
}

/**
 * WS-Discovery through the `onvif` library: one multicast probe (239.255.255.250:3702) for
 * NetworkVideoTransmitters, answers collected for `timeoutMs`. Cameras are listed as they
 * announce themselves; nothing is connected to until credentials are given (streamUris).
 */
export function discoverCameras(
  opts: { timeoutMs?: number; device?: string } = {},
): Promise<DiscoveredCamera[]> {
  // The library emits 'error' for every answer that is not ONVIF SOAP (any device on the network
  // may send one); an EventEmitter without a listener would throw it and end the process.
  const ignore = (e: unknown) =>
    log('info', 'onvif_discovery_answer_ignored', { reason: String(e).slice(0, 200) });
  onvif.Discovery.on('error', ignore);
  return new Promise<DiscoveredCamera[]>((resolve, reject) => {
    let done = false;
    onvif.Discovery.probe(
      { timeout: opts.timeoutMs ?? 3000, resolve: false, ...(opts.device ? { device: opts.device } : {}) },
      (err, devices) => {
        if (done) return;
        // A socket error ends the probe; an array lists answers that were not ONVIF (ignored).
        if (err instanceof Error) {
          done = true;
          return reject(
            new VigilError('INVALID_ARGUMENT', `Camera discovery could not send its probe: ${err.message}`),
          );
        }
        if (Array.isArray(err) && err.length > 0)
          log('info', 'onvif_discovery_ignored', { answers: err.length });
        done = true;
        const seen = new Map<string, DiscoveredCamera>();
        for (const d of devices ?? []) {
          const c = parseProbeMatch(d);
          if (c && !seen.has(c.urn)) seen.set(c.urn, c);
        }
        resolve([...seen.values()]);
      },
    );
  }).finally(() => onvif.Discovery.off('error', ignore));
}

/** The RTSP stream URI of each media profile, asked of the camera with its own credentials. */
export async function streamUris(
  xaddr: string,
  credentials: { username?: string; password?: string },
  timeoutMs = 5000,
): Promise<{ profile: string; uri: string }[]> {
  const url = new URL(xaddr);
  const cam = await new Promise<onvif.Cam>((resolve, reject) => {
    // Some cameras answer in ways the library cannot finish with (it throws inside its own
    // callbacks and never calls back): give up with a sentence instead of waiting for ever.
    const timer = setTimeout(
      () =>
        reject(new VigilError('NOT_FOUND', `The camera at ${url.host} did not finish answering in time.`)),
      timeoutMs * 3,
    );
    const c: onvif.Cam = new onvif.Cam(
      {
        hostname: url.hostname,
        port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        path: url.pathname,
        timeout: timeoutMs,
        ...(credentials.username
          ? { username: credentials.username, password: credentials.password ?? '' }
          : {}),
      },
      (err) => {
        clearTimeout(timer);
        if (err)
          reject(
            new VigilError('AUTH_FAILED', `The camera at ${url.host} refused the connection: ${err.message}`),
          );
        else resolve(c);
      },
    );
  });
  const out: { profile: string; uri: string }[] = [];
  for (const p of cam.profiles ?? []) {
    const token = typeof p.$?.token === 'string' ? (p.$.token as string) : p.token;
    const uri = await new Promise<string | null>((resolve) =>
      cam.getStreamUri(
        { protocol: 'RTSP', ...(token ? { profileToken: token } : {}) },
        (err, data: { uri?: string } | undefined) => resolve(err ? null : (data?.uri ?? null)),
      ),
    );
    if (uri) out.push({ profile: p.name ?? token ?? 'profile', uri });
  }
  return out;
}
