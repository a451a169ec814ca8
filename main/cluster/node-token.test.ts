import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clusterLinkKey, NodeTokenVerifier, signNodeToken } from './node-token.js';

describe('node tokens between the nodes of a cluster', () => {
  const master = randomBytes(32);
  const key = clusterLinkKey(master);

  it('derives the link key from the master key, not the master key itself', () => {
    expect(key).toHaveLength(32);
    expect(key.equals(master)).toBe(false);
    expect(clusterLinkKey(master).equals(key)).toBe(true);
    expect(clusterLinkKey(randomBytes(32)).equals(key)).toBe(false);
  });

  it('accepts a fresh token once, for the node it names, and refuses a replay', () => {
    let now = 1_800_000_000_000;
    const a = new NodeTokenVerifier(key, 'node-a', () => now);
    const t = signNodeToken(key, 'node-b', 'node-a', now);
    expect(a.verify(t)).toEqual({ ok: true, node: 'node-b' });
    expect(a.verify(t)).toEqual({ ok: false, reason: 'node token already used' });
    // Another node refuses it even once: it was not meant for it.
    const c = new NodeTokenVerifier(key, 'node-c', () => now);
    expect(c.verify(t)).toEqual({ ok: false, reason: 'node token meant for another node' });
    // After 60 s a captured token is dead whether or not it was used, and the used set is emptied.
    const unused = signNodeToken(key, 'node-b', 'node-a', now);
    now += 60_000;
    expect(a.verify(unused)).toEqual({ ok: false, reason: 'node token expired' });
    expect(a.verify(t)).toEqual({ ok: false, reason: 'node token expired' });
    // Clocks a few seconds apart are fine; a token from the future beyond the window is not.
    expect(a.verify(signNodeToken(key, 'node-b', 'node-a', now + 5_000)).ok).toBe(true);
    expect(a.verify(signNodeToken(key, 'node-b', 'node-a', now + 31_000)).ok).toBe(false);
  });

  it('refuses tokens signed with another key, altered, or malformed', () => {
    const now = Date.now();
    const a = new NodeTokenVerifier(key, 'node-a', () => now);
    const foreign = signNodeToken(clusterLinkKey(randomBytes(32)), 'node-b', 'node-a', now);
    expect(a.verify(foreign)).toEqual({ ok: false, reason: 'node token not signed with the cluster key' });
    const good = signNodeToken(key, 'node-b', 'node-a', now);
    // Claiming another sender, or another time, breaks the signature.
    const forged = good.replace(':node-b:', ':node-x:');
    expect(a.verify(forged).ok).toBe(false);
    const parts = good.split(':');
    parts[3] = String(now + 1);
    expect(a.verify(parts.join(':')).ok).toBe(false);
    for (const bad of [null, undefined, '', 'v1', 'v2:a:b:1:2:3', 'x'.repeat(1000), `${good}:extra`])
      expect(a.verify(bad).ok).toBe(false);
    expect(a.verify(good)).toEqual({ ok: true, node: 'node-b' });
  });
});
