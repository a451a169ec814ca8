import { describe, it, expect } from 'vitest';
import { BinaryCodeIndex } from './binary-index.js';
import { candidateCount, dot, exactTopK, prefilterPool, rescore, type ScoredId } from './search.js';
import { mulberry32 } from '../util/random.js';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function unit(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += (v[i] as number) ** 2;
  norm = Math.sqrt(norm);
  return Float32Array.from(v, (x) => x / norm);
}

function randomUnit(rand: () => number, dim: number): Float32Array {
  return unit(Array.from({ length: dim }, () => gaussian(rand)));
}

/** A probe at cosine `c` to `source`: the same person under different conditions. */
function perturb(rand: () => number, source: Float32Array, c: number): Float32Array {
  const noise = randomUnit(rand, source.length);
  const along = dot(noise, source);
  const ortho = unit(Array.from(noise, (x, i) => x - along * (source[i] as number)));
  return unit(Array.from(source, (x, i) => c * x + Math.sqrt(1 - c * c) * (ortho[i] as number)));
}

describe('rescore / exactTopK', () => {
  const rand = mulberry32(1);
  const all = new Map<number, Float32Array>();
  for (let id = 0; id < 500; id++) all.set(id * 3 + 1, randomUnit(rand, 64));

  it('returns the k most similar by exact dot product, best first', () => {
    const query = randomUnit(rand, 64);
    const expected = [...all]
      .map(([id, v]) => {
        let s = 0;
        for (let i = 0; i < 64; i++) s += (query[i] as number) * (v[i] as number);
        return { id, similarity: s };
      })
      .sort((a, b) => b.similarity - a.similarity);
    for (const k of [1, 5, 50, 500, 600]) {
      const got = exactTopK(query, all, k);
      expect(got.map((s) => s.id)).toEqual(expected.slice(0, k).map((s) => s.id));
      got.forEach((s, i) => expect(s.similarity).toBeCloseTo((expected[i] as ScoredId).similarity, 6));
    }
    expect(rescore(query, all, 0)).toEqual([]);
    expect(rescore(query, [], 3)).toEqual([]);
  });

  it('gives identical vectors similarity 1 and breaks ties by id', () => {
    const v = randomUnit(rand, 64);
    const got = rescore(
      v,
      [
        [9, v],
        [2, v],
        [5, Float32Array.from(v, (x) => -x)],
      ],
      3,
    );
    expect(got.map((s) => s.id)).toEqual([2, 9, 5]);
    expect(got[0]?.similarity).toBeCloseTo(1, 6);
    expect(got[2]?.similarity).toBeCloseTo(-1, 6);
  });

  it('rejects a candidate of another dimension', () => {
    expect(() => rescore(new Float32Array(4), [[1, new Float32Array(3)]], 1)).toThrow(RangeError);
  });
});

describe('candidate budgets', () => {
  it('never exceed the gallery and grow with it', () => {
    let lastK = 0;
    let lastPool = 0;
    for (const size of [0, 1, 10, 64, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]) {
      const k = candidateCount(size);
      const pool = prefilterPool(size);
      expect(k).toBeLessThanOrEqual(size);
      expect(pool).toBeLessThanOrEqual(size);
      expect(pool).toBeGreaterThanOrEqual(k);
      expect(k).toBeGreaterThanOrEqual(Math.min(size, 64));
      expect(k).toBeGreaterThanOrEqual(lastK);
      expect(pool).toBeGreaterThanOrEqual(lastPool);
      lastK = k;
      lastPool = pool;
    }
  });
});

describe('prefilter + rescore recall', () => {
  for (const [dim, bits] of [
    [128, 128],
    [128, 512],
    [512, 512],
  ] as const) {
    it(`finds the exact top-1 for ≥ 99% of genuine probes at dim ${dim} with ${bits}-bit codes`, () => {
      const rand = mulberry32(dim + bits);
      const n = 4000;
      const gallery = new Map<number, Float32Array>();
      const index = new BinaryCodeIndex(dim, { bits });
      for (let id = 1; id <= n; id++) {
        const v = randomUnit(rand, dim);
        gallery.set(id, v);
        index.upsert(id, v);
      }
      // Deliberately tight budgets, well below the defaults for this size, so the test measures the
      // prefilter's ranking rather than a pool that covers half the gallery.
      const k = 8;
      const pool = 200;
      expect(k).toBeLessThan(candidateCount(n));
      let refinedHits = 0;
      let defaultHits = 0;
      let hammingRankSum = 0;
      let refinedRankSum = 0;
      const probes = 200;
      for (let p = 0; p < probes; p++) {
        const source = gallery.get(1 + Math.floor(rand() * n)) as Float32Array;
        const probe = perturb(rand, source, 0.45 + 0.25 * rand());
        const truth = exactTopK(probe, gallery, 1)[0] as ScoredId;
        const fetch = (ids: number[]): Array<[number, Float32Array]> =>
          ids.map((id) => [id, gallery.get(id) as Float32Array]);

        const refined = index.candidates(probe, k, pool);
        if (rescore(probe, fetch(refined), 1)[0]?.id === truth.id) refinedHits++;
        const byDefault = index.candidates(probe, candidateCount(n), prefilterPool(n));
        if (rescore(probe, fetch(byDefault), 1)[0]?.id === truth.id) defaultHits++;

        const hamming = index.hammingCandidates(probe, n);
        const wide = index.candidates(probe, n, n);
        hammingRankSum += hamming.indexOf(truth.id) + 1;
        refinedRankSum += wide.indexOf(truth.id) + 1;
      }
      expect(defaultHits / probes).toBeGreaterThanOrEqual(0.99);
      expect(refinedHits / probes).toBeGreaterThanOrEqual(0.99);
      // The asymmetric second stage must rank the true neighbour at least as well as Hamming alone.
      expect(refinedRankSum).toBeLessThanOrEqual(hammingRankSum);
    });
  }
});
