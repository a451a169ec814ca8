import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How one node proves to another that it belongs to the cluster, without a console session: a
 * one-time token, HMAC-SHA256 under a key derived from the cluster's shared master key, naming the
 * sender, the receiver, the time and a random nonce. The receiver accepts it within ±30 s of its
 * own clock and only once, so a token captured on the way is useless to replay, now or later, and
 * useless against any other node.
 *
 *   v1:FROM:TO:MILLISECONDS:NONCE:MAC      (node names never hold ':')
 */

/** The link key: the master key never signs anything itself. */
export function clusterLinkKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'vigil', 'vigil cluster node link v1', 32));
}

/** How far a token's time may be from the receiver's clock. */
export const NODE_TOKEN_WINDOW_MS = 30_000;

function mac(key: Uint8Array, from: string, to: string, at: number, nonce: string): Buffer {
  return createHmac('sha256', key).update(`vigil-node-link\n${from}\n${to}\n${at}\n${nonce}`).digest();
}

export function signNodeToken(key: Uint8Array, from: string, to: string, now = Date.now()): string {
  const nonce = randomBytes(16).toString('hex');
  const at = Math.floor(now);
  return `v1:${from}:${to}:${at}:${nonce}:${mac(key, from, to, at, nonce).toString('hex')}`;
}

export type NodeTokenCheck = { ok: true; node: string } | { ok: false; reason: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Checks tokens addressed to `self`, remembering the ones already used until they expire. */
export class NodeTokenVerifier {
  private readonly used = new Map<string, number>();

  constructor(
    private readonly key: Uint8Array,
    private readonly self: string,
    private readonly now: () => number = Date.now,
  ) {}

  verify(token: string | null | undefined): NodeTokenCheck {
    if (typeof token !== 'string' || token.length > 400) return { ok: false, reason: 'no node token' };
    const parts = token.split(':');
    if (parts.length !== 6 || parts[0] !== 'v1') return { ok: false, reason: 'malformed node token' };
    const [, from, to, atText, nonce, macHex] = parts as [string, string, string, string, string, string];
    if (!NAME.test(from) || !/^\d{1,16}$/.test(atText) || !/^[0-9a-f]{32}$/.test(nonce))
      return { ok: false, reason: 'malformed node token' };
    if (!/^[0-9a-f]{64}$/.test(macHex)) return { ok: false, reason: 'malformed node token' };
    const at = Number(atText);
    const expected = mac(this.key, from, to, at, nonce);
    if (!timingSafeEqual(expected, Buffer.from(macHex, 'hex')))
      return { ok: false, reason: 'node token not signed with the cluster key' };
    if (to !== this.self) return { ok: false, reason: 'node token meant for another node' };
    const now = this.now();
    if (Math.abs(now - at) > NODE_TOKEN_WINDOW_MS) return { ok: false, reason: 'node token expired' };
    this.forgetExpired(now);
    if (this.used.has(macHex)) return { ok: false, reason: 'node token already used' };
    this.used.set(macHex, at);
    return { ok: true, node: from };
  }

  private forgetExpired(now: number): void {
    for (const [k, at] of this.used) if (now - at > NODE_TOKEN_WINDOW_MS) this.used.delete(k);
  }
}
