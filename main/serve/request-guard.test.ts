import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../util/rate-limit.js';
import { rateLimitKey } from './request-guard.js';

describe('the key attempt limits count under', () => {
  it('is the address for IPv4 and the /64 network for IPv6, however it is written', () => {
    expect(rateLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('unknown')).toBe('unknown');
    for (const a of [
      '2001:db8:aa:bb::1',
      '2001:db8:aa:bb:ffff:ffff:ffff:ffff',
      '2001:0DB8:00aa:00bb:1:2:3:4',
      '2001:db8:aa:bb::192.0.2.1',
      '2001:db8:aa:bb::9%eth0',
    ])
      expect(rateLimitKey(a), a).toBe('2001:db8:aa:bb::/64');
    expect(rateLimitKey('2001:db8:aa:bc::1')).toBe('2001:db8:aa:bc::/64');
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('keeps one IPv6 client to one budget, however many of its addresses it sprays', () => {
    const limits = new RateLimiter({ burst: 10, refillMs: 60_000, maxKeys: 100 }, () => 0);
    // 10 000 guesses from 10 000 addresses of one /64: only the first 10 get through (counted per
    // address, every one would, and the spent buckets would be pushed out of the table).
    let allowed = 0;
    for (let i = 0; i < 10_000; i++)
      if (limits.take(rateLimitKey(`2001:db8:aa:bb:${(i >> 16) & 0xffff}:${i & 0xffff}:1:1`)) === 0)
        allowed++;
    expect(allowed).toBe(10);
  });
});
