import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/**
 * What `vigil serve` checks about a request before it reads anything else: its path, the Host it
 * was sent to and the page it came from. Every check answers; none throws on hostile input.
 */

/** The path of a request target, or null when it is not an origin-form path (`//`, `*`, `x:1`...). */
export function requestPath(raw: string | undefined): string | null {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.length > 8192) return null;
  try {
    // A fixed base and a target starting with '/' can only ever change the path and query, never
    // the host: `//x:99999` becomes the path `//x:99999` instead of an invalid authority.
    return new URL(`http://vigil.invalid${raw}`).pathname;
  } catch {
    return null;
  }
}

export interface OriginPolicy {
  /** Extra host names (and `name:port`) the server is reached by: a reverse proxy, a DNS name. */
  hosts: readonly string[];
  /** Extra page origins allowed to call the API, e.g. `https://vigil.example.org`. */
  origins: readonly string[];
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', '127.0.0.1', '[::1]', '::1']);
/** The desktop shell's own pages. */
const SHELL_ORIGIN = 'vigil://app';

/** `example.org:8765` → `example.org`, `[::1]:80` → `[::1]`; null when it is not a host. */
function hostOnly(hostHeader: string): string | null {
  const h = hostHeader.trim().toLowerCase();
  if (h.length === 0 || h.length > 300) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(h);
  return m ? m[1]! : null;
}

/**
 * True when the Host header names this server: loopback, an IP literal (a rebinding attack needs a
 * DNS name the attacker controls, so literals are safe), this machine's name, or a configured one.
 */
export function hostAllowed(hostHeader: string | undefined, policy: OriginPolicy): boolean {
  if (typeof hostHeader !== 'string') return false;
  const host = hostOnly(hostHeader);
  if (!host) return false;
  if (LOOPBACK_NAMES.has(host)) return true;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return true;
  const own = hostname().toLowerCase();
  if (host === own || host === `${own}.local`) return true;
  return policy.hosts.some((h) => {
    const want = h.trim().toLowerCase();
    return want === host || want === hostHeader.trim().toLowerCase();
  });
}

/**
 * True when the page that sent this request may use the API. Browsers always send Origin on a
 * cross-site POST and on every WebSocket handshake, so its absence means a non-browser client
 * (curl, the CLI), which a web page cannot impersonate. A present Origin must be this server's
 * own (same host as the Host header), the desktop shell's, or a configured one.
 */
export function originAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (typeof origin !== 'string' || origin === 'null') return false;
  const o = origin.trim().toLowerCase();
  if (o === SHELL_ORIGIN) return true;
  if (policy.origins.some((x) => x.trim().toLowerCase().replace(/\/$/, '') === o)) return true;
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = req.headers.host;
  return typeof host === 'string' && url.host === host.trim().toLowerCase();
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJson(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (typeof type !== 'string') return false;
  return type.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** The client's address for rate limits and the audit log (IPv4-mapped IPv6 shown as IPv4). */
export function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * The key the per-address attempt limits count under: an IPv4 address as it is, an IPv6 address
 * by its /64 network. One IPv6 client holds a whole /64, so counting single addresses would let
 * it spray fresh ones (and push its own spent bucket out of the bounded table) for ever more
 * password guesses.
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const groups = (part: string | undefined) =>
    part
      ? part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [g];
          // An embedded IPv4 address fills the last two groups.
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        })
      : [];
  const left = groups(head);
  const right = groups(tail);
  const full =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The User-Agent, bounded, for the audit log. */
export function userAgent(req: IncomingMessage): string | null {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' ? ua.slice(0, 200) : null;
}
