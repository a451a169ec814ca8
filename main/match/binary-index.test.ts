import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { describe, it, expect } from 'vitest';
import { BinaryCodeIndex } from './binary-index.js';
import {
  compileHammingWat,
  GENERATED_PATH,
  renderHammingModule,
  repoRoot,
  WAT_PATH,
} from './build-hamming.js';
import { mulberry32 } from '../util/random.js';

function randomVector(rand: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rand() - 0.5;
  return v;
}

function randomCode(rand: () => number, bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, () => Math.floor(rand() * 256));
}

/** The reference the kernel must agree with: bit by bit, no tricks. */
function naiveCode(v: ArrayLike<number>): Uint8Array {
  const code = new Uint8Array(Math.ceil(v.length / 8));
  for (let i = 0; i < v.length; i++)
    if ((v[i] as number) > 0) code[i >> 3] = (code[i >> 3] as number) | (1 << (i & 7));
  return code;
}

function naiveHamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) ^ (b[i] as number);
    for (let bit = 0; bit < 8; bit++) d += (x >> bit) & 1;
  }
  return d;
}

/** Σ q_i · (bit_i ? +1 : −1), in double precision. */
function naiveAsym(q: Float32Array, code: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < q.length; i++)
    s += (((code[i >> 3] as number) >> (i & 7)) & 1 ? 1 : -1) * (q[i] as number);
  return s;
}

/** Ids in Hamming order, ties in insertion order (the index's slot order when nothing was removed). */
function naiveNearest(query: Uint8Array, codes: Map<number, Uint8Array>, k: number): number[] {
  return [...codes]
    .map(([id, code], order) => ({ id, order, d: naiveHamming(query, code) }))
    .sort((a, b) => a.d - b.d || a.order - b.order)
    .slice(0, k)
    .map((e) => e.id);
}

describe('BinaryCodeIndex.codeOf', () => {
  it('sets bit i & 7 of byte i >> 3 for strictly positive components', () => {
    const v = [1, 0, -1, 2, -0, 3, -2, 1, 0, 0, 0, 0, 0, 0, 0, 0.5, 7];
    expect(Array.from(BinaryCodeIndex.codeOf(v))).toEqual([0b10101001, 0b10000000, 0b1]);
  });

  it('matches sqlite-vec vec_quantize_binary, so stored bit[N] blobs load unchanged', () => {
    const db = new Database(':memory:');
    try {
      sqliteVec.load(db);
      const quantize = db.prepare('SELECT vec_quantize_binary(?) AS code').pluck();
      const rand = mulberry32(7);
      for (const dim of [8, 128, 512]) {
        for (let i = 0; i < 20; i++) {
          const v = randomVector(rand, dim);
          const expected = quantize.get(Buffer.from(v.buffer)) as Buffer;
          expect(Array.from(BinaryCodeIndex.codeOf(v))).toEqual(Array.from(expected));
        }
      }
    } finally {
      db.close();
    }
  });
});

describe('BinaryCodeIndex distances', () => {
  for (const dim of [128, 512, 100, 300]) {
    for (const plain of [true, false]) {
      it(`match a naive popcount reference at dim ${dim} (${plain ? 'plain' : 'projected'} codes)`, () => {
        const rand = mulberry32(dim);
        const index = plain ? new BinaryCodeIndex(dim) : new BinaryCodeIndex(dim, { bits: 512 + 64 });
        expect(index.bits).toBe(plain ? dim : 576);
        const codes: Uint8Array[] = [];
        for (let id = 0; id < 3000; id++) {
          const v = randomVector(rand, dim);
          const code = index.encode(v);
          if (plain) expect(code).toEqual(naiveCode(v));
          codes.push(code);
          index.upsert(id, v);
        }
        for (let q = 0; q < 5; q++) {
          const query = randomVector(rand, dim);
          const qc = index.encode(query);
          const dist = Array.from(index.distances(query));
          expect(dist).toEqual(codes.map((c) => naiveHamming(qc, c)));
          expect(index.distanceTo(query, 1234)).toBe(naiveHamming(qc, codes[1234] as Uint8Array));
        }
      });
    }
  }

  it('gives distance 0 to an identical code and the full dimension to its complement', () => {
    const index = new BinaryCodeIndex(512);
    expect(index.bits).toBe(512);
    const v = randomVector(mulberry32(1), 512);
    index.upsert(1, v);
    index.upsert(
      2,
      v.map((x) => -x),
    );
    expect(Array.from(index.distances(v))).toEqual([0, 512]);
  });

  it('ignores bits past the code length in codes loaded with upsertCode', () => {
    const index = new BinaryCodeIndex(12, { bits: 12 });
    index.upsertCode(1, Uint8Array.of(0xff, 0xff));
    const allPositive = new Float32Array(12).fill(1);
    expect(index.distanceTo(allPositive, 1)).toBe(0);
    expect(index.distanceTo(new Float32Array(12).fill(-1), 1)).toBe(12);
  });
});

describe('BinaryCodeIndex.hammingCandidates', () => {
  it('returns the k Hamming-nearest ids in order on a small index (exact cap path)', () => {
    const rand = mulberry32(11);
    const index = new BinaryCodeIndex(512);
    const codes = new Map<number, Uint8Array>();
    for (let i = 0; i < 4000; i++) {
      const id = 1000 + i * 7;
      const code = randomCode(rand, 64);
      codes.set(id, code);
      index.upsertCode(id, code);
    }
    for (const k of [1, 10, 257, 4000, 5000]) {
      const query = randomVector(rand, 512);
      expect(index.hammingCandidates(query, k)).toEqual(naiveNearest(naiveCode(query), codes, k));
    }
    expect(index.hammingCandidates(randomVector(rand, 512), 0)).toEqual([]);
  });

  it('returns the k Hamming-nearest ids on a large index (sampled cap path)', () => {
    const rand = mulberry32(12);
    const index = new BinaryCodeIndex(128, { bits: 128 });
    const codes = new Map<number, Uint8Array>();
    for (let id = 0; id < 70_000; id++) {
      const code = randomCode(rand, 16);
      codes.set(id, code);
      index.upsertCode(id, code);
    }
    for (const k of [1, 100, 3000]) {
      const query = randomVector(rand, 128);
      expect(index.hammingCandidates(query, k)).toEqual(naiveNearest(naiveCode(query), codes, k));
    }
  });

  it('stays exact when the sample misjudges the distribution and the scan must be repeated', () => {
    // The sampled windows hold the only codes near the query, so the sampled cap admits those alone,
    // far fewer than requested.
    const n = 70_000;
    const query = randomVector(mulberry32(13), 128);
    const qc = naiveCode(query);
    const rand = mulberry32(14);
    const windowStarts = Array.from({ length: 16 }, (_, w) => Math.floor((w * (n - 1024)) / 15));
    const inWindow = (slot: number): boolean => windowStarts.some((s) => slot >= s && slot < s + 1024);
    const index = new BinaryCodeIndex(128, { bits: 128 });
    const codes = new Map<number, Uint8Array>();
    for (let id = 0; id < n; id++) {
      const code = inWindow(id) ? Uint8Array.from(qc) : randomCode(rand, 16);
      codes.set(id, code);
      index.upsertCode(id, code);
    }
    expect(index.hammingCandidates(query, 20_000)).toEqual(naiveNearest(qc, codes, 20_000));
  });
});

describe('BinaryCodeIndex.candidates', () => {
  it('ranks by asymmetric score when the pool covers the index', () => {
    const rand = mulberry32(21);
    const index = new BinaryCodeIndex(512);
    const codes = new Map<number, Uint8Array>();
    for (let id = 0; id < 3000; id++) {
      const code = randomCode(rand, 64);
      codes.set(id, code);
      index.upsertCode(id, code);
    }
    const query = randomVector(rand, 512);
    const scores = [...codes]
      .map(([id, code]) => ({ id, s: naiveAsym(query, code) }))
      .sort((a, b) => b.s - a.s);
    const k = 50;
    const got = index.candidates(query, k, 3000);
    expect(got).toHaveLength(k);
    // f32 table sums may swap near-equal scores, so compare by score rather than by exact id order.
    const kth = (scores[k - 1] as { s: number }).s;
    const gotScores = got.map((id) => naiveAsym(query, codes.get(id) as Uint8Array));
    for (const s of gotScores) expect(s).toBeGreaterThanOrEqual(kth - 1e-4);
    for (let i = 1; i < k; i++) expect(gotScores[i]).toBeLessThanOrEqual((gotScores[i - 1] as number) + 1e-4);
    expect(new Set(got).size).toBe(k);
  });

  it('considers at least the `pool` Hamming-nearest codes on a large index', () => {
    const rand = mulberry32(22);
    const index = new BinaryCodeIndex(128, { bits: 128 });
    const codes = new Map<number, Uint8Array>();
    for (let id = 0; id < 80_000; id++) {
      const code = randomCode(rand, 16);
      codes.set(id, code);
      index.upsertCode(id, code);
    }
    const query = randomVector(rand, 128);
    const pool = 2000;
    const k = 40;
    const got = index.candidates(query, k, pool);
    expect(got).toHaveLength(k);
    const weakest = Math.min(...got.map((id) => naiveAsym(query, codes.get(id) as Uint8Array)));
    // Any code of the true Hamming pool that outscores the weakest returned one must have been returned.
    const returned = new Set(got);
    for (const id of naiveNearest(naiveCode(query), codes, pool)) {
      if (naiveAsym(query, codes.get(id) as Uint8Array) > weakest + 1e-4) expect(returned.has(id)).toBe(true);
    }
  });
});

describe('BinaryCodeIndex upsert and remove', () => {
  it('replaces, removes by swapping the last code in, and keeps every id findable', () => {
    const rand = mulberry32(31);
    const index = new BinaryCodeIndex(128, { bits: 128 });
    const codes = new Map<number, Uint8Array>();
    for (let id = 1; id <= 10; id++) {
      const code = randomCode(rand, 16);
      codes.set(id, code);
      index.upsertCode(id, code);
    }
    expect(index.size).toBe(10);

    // Replacing keeps the size and the slot.
    const replacement = randomCode(rand, 16);
    codes.set(4, replacement);
    index.upsertCode(4, replacement);
    expect(index.size).toBe(10);

    expect(index.remove(3)).toBe(true); // a middle slot: id 10 moves into it
    expect(index.remove(10)).toBe(true); // the code that just moved
    expect(index.remove(1)).toBe(true); // the first slot
    expect(index.remove(3)).toBe(false);
    expect(index.remove(999)).toBe(false);
    codes.delete(3);
    codes.delete(10);
    codes.delete(1);
    expect(index.size).toBe(7);
    expect(index.has(3)).toBe(false);
    expect(index.has(2)).toBe(true);

    const query = randomVector(rand, 128);
    const qc = naiveCode(query);
    for (const [id, code] of codes) expect(index.distanceTo(query, id)).toBe(naiveHamming(qc, code));
    expect(index.distanceTo(query, 3)).toBeUndefined();
    const all = index.hammingCandidates(query, 100);
    expect([...all].sort((a, b) => a - b)).toEqual([...codes.keys()].sort((a, b) => a - b));
    const dists = all.map((id) => naiveHamming(qc, codes.get(id) as Uint8Array));
    expect(dists).toEqual([...dists].sort((a, b) => a - b));

    // A removed id can come back.
    index.upsertCode(3, replacement);
    expect(index.has(3)).toBe(true);
    expect(index.size).toBe(8);
    expect(index.distanceTo(query, 3)).toBe(naiveHamming(qc, replacement));
  });

  it('removes down to empty and answers empty queries', () => {
    const index = new BinaryCodeIndex(128, { bits: 128 });
    const v = randomVector(mulberry32(32), 128);
    index.upsert(5, v);
    expect(index.remove(5)).toBe(true);
    expect(index.size).toBe(0);
    expect(index.hammingCandidates(v, 10)).toEqual([]);
    expect(index.candidates(v, 10, 100)).toEqual([]);
    expect(index.distances(v)).toHaveLength(0);
  });

  it('grows its wasm memory past the initial capacity without losing codes', () => {
    const rand = mulberry32(33);
    const index = new BinaryCodeIndex(512);
    const before = index.memoryBytes;
    const codes = new Map<number, Uint8Array>();
    for (let id = 0; id < 5000; id++) {
      const v = randomVector(rand, 512);
      codes.set(id, naiveCode(v));
      index.upsert(id, v);
    }
    // Interleave removals with further growth so the swap path runs on a grown buffer too.
    for (let id = 0; id < 5000; id += 3) {
      index.remove(id);
      codes.delete(id);
    }
    for (let id = 5000; id < 9000; id++) {
      const v = randomVector(rand, 512);
      codes.set(id, naiveCode(v));
      index.upsert(id, v);
    }
    expect(index.memoryBytes).toBeGreaterThan(before);
    expect(index.size).toBe(codes.size);
    const query = randomVector(rand, 512);
    const qc = naiveCode(query);
    for (const [id, code] of codes) expect(index.distanceTo(query, id)).toBe(naiveHamming(qc, code));
    const got = index.hammingCandidates(query, 25).map((id) => naiveHamming(qc, codes.get(id) as Uint8Array));
    const want = [...codes.values()].map((c) => naiveHamming(qc, c)).sort((a, b) => a - b);
    expect(got).toEqual(want.slice(0, 25));
  });

  it('rejects vectors, codes and ids it cannot index', () => {
    expect(() => new BinaryCodeIndex(0)).toThrow(RangeError);
    expect(() => new BinaryCodeIndex(31 * 128 + 1)).toThrow(RangeError);
    expect(() => new BinaryCodeIndex(128, { bits: 0 })).toThrow(RangeError);
    expect(() => new BinaryCodeIndex(128, { bits: 31 * 128 + 8 })).toThrow(RangeError);
    const index = new BinaryCodeIndex(128, { bits: 128 });
    expect(() => index.upsert(1, new Float32Array(127))).toThrow(RangeError);
    expect(() => index.upsertCode(1, new Uint8Array(15))).toThrow(RangeError);
    expect(() => index.upsert(1.5, new Float32Array(128))).toThrow(RangeError);
    expect(() => index.hammingCandidates(new Float32Array(64), 1)).toThrow(RangeError);
    expect(index.size).toBe(0);
  });
});

describe('projected codes', () => {
  it('are deterministic across instances, so persisted codes stay valid', () => {
    const rand = mulberry32(41);
    const a = new BinaryCodeIndex(128, { bits: 512 });
    const b = new BinaryCodeIndex(128, { bits: 512 });
    expect(a.bits).toBe(512);
    expect(a.codeBytes).toBe(64);
    for (let i = 0; i < 10; i++) {
      const v = randomVector(rand, 128);
      expect(a.encode(v)).toEqual(b.encode(v));
    }
    // Loading encode() output is the same as upserting the vector.
    const v = randomVector(rand, 128);
    a.upsert(1, v);
    b.upsertCode(1, b.encode(v));
    const q = randomVector(rand, 128);
    expect(a.distanceTo(q, 1)).toBe(b.distanceTo(q, 1));
  });

  it('measure the angle like sign codes do: Hamming / bits ≈ angle / π', () => {
    const rand = mulberry32(42);
    for (const [dim, bits] of [
      [128, 512],
      [100, 512],
      [512, 512],
    ] as const) {
      const index = new BinaryCodeIndex(dim, { bits });
      let worst = 0;
      for (let t = 0; t < 40; t++) {
        const x = randomVector(rand, dim);
        const y = randomVector(rand, dim);
        let xy = 0;
        let xx = 0;
        let yy = 0;
        for (let i = 0; i < dim; i++) {
          xy += (x[i] as number) * (y[i] as number);
          xx += (x[i] as number) ** 2;
          yy += (y[i] as number) ** 2;
        }
        const angle = Math.acos(xy / Math.sqrt(xx * yy)) / Math.PI;
        const measured = naiveHamming(index.encode(x), index.encode(y)) / bits;
        worst = Math.max(worst, Math.abs(measured - angle));
      }
      // Four standard deviations of a 512-bit estimate (√(¼/512) ≈ 0.022) leave room for 40 draws.
      expect(worst).toBeLessThan(0.09);
    }
  });
});

describe('generated kernel', () => {
  it('hamming-wasm.ts is a fresh compile of hamming.wat', async () => {
    const root = repoRoot();
    const wasm = await compileHammingWat(readFileSync(join(root, WAT_PATH), 'utf8'));
    expect(readFileSync(join(root, GENERATED_PATH), 'utf8')).toBe(renderHammingModule(wasm));
  });
});
