/**
 * In-memory binary-code prefilter for 1:N search.
 *
 * Each embedding is reduced to a code of sign bits — one per dimension, or optionally (for 128-d
 * models) the signs of 512 coordinates of a fixed random rotation — and the Hamming distance between two codes
 * estimates the angle between the vectors (SimHash), so the codes nearest the probe's code contain its
 * true cosine neighbours with high probability. Scanning 1M × 512-bit codes is memory-bound in a wasm
 * SIMD kernel (~7 ms here, close to the ~4.5 ms it takes just to read 64 MB) where the same scan in
 * plain JS takes ~100 ms. candidates adds a second stage that re-ranks a Hamming pool by the
 * float query against the codes' signs, which needs far fewer candidates for the same recall. Either
 * way the candidates are then rescored exactly from their float vectors (see search.ts), so this index
 * never decides a match alone.
 *
 * Codes live contiguously in the kernel's own wasm memory; removal swaps the last code into the hole so
 * the scanned range stays dense and every operation but the scan is O(1).
 */
import { HAMMING_WASM_BASE64 } from './hamming-wasm.js';
import { prefilterPool } from './search.js';
import { mulberry32 } from '../util/random.js';
import { fwht } from '../util/hadamard.js';

// tsconfig's lib is ES2023 without DOM and @types/node 20 does not declare WebAssembly, so the few
// pieces used here are typed locally rather than through a project-wide ambient declaration.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface HammingExports {
  memory: WasmMemory;
  scan(
    codes: number,
    query: number,
    words: number,
    count: number,
    dist: number,
    cap: number,
    out: number,
    lut: number,
    scores: number,
  ): number;
}

const WORD_BYTES = 16;
const PAGE_BYTES = 65536;
/** The kernel accumulates per-byte popcounts in i8 lanes; 31 words × 8 bits per lane stays below 256. */
const MAX_WORDS = 31;
const INITIAL_CAPACITY = 1024;
/**
 * Above this many codes the scan's distance cap comes from a sample of SAMPLE_WINDOWS × SAMPLE_WINDOW
 * codes spread over the whole slot range; below it, an extra full scan (well under a millisecond) and
 * an exact histogram are cheaper than being wrong about a small sample.
 */
const SAMPLE_ABOVE = 65536;
const SAMPLE_WINDOWS = 16;
const SAMPLE_WINDOW = 1024;

/**
 * Projected codes: `bits` ≠ dim selects the signs of `bits` coordinates of a fixed random rotation
 * instead of one sign per dimension. This is for low-dimensional models: with 128 sign bits a 128-d
 * gallery of 100k put the true top-1 of genuine probes up to Hamming rank ~4000 and asymmetric rank ~400
 * (recall@1 0.99 at best, far worse at 1M), against 23 and 2 with { bits: 512 }, which measures the
 * angle as finely as a 512-d sign code does (SimHash variance falls with the number of bits, not the
 * dimension). The rotation is PROJECTION_ROUNDS rounds of random sign flips and a Walsh-Hadamard
 * transform per block of nextPow2(dim) output bits (O(bits·log dim), no matrix). Codes from `encode`
 * are a pure function of (dim, bits) and these constants: changing them invalidates persisted codes.
 */
const PROJECTION_SEED = 0x5eedc0de;
const PROJECTION_ROUNDS = 3;

export interface BinaryCodeOptions {
  /**
   * Code length in bits; default the dimension (one sign bit per dimension, exactly codeOf). Use 512 for
   * 128-d embeddings, and persist `encode()` rather than `codeOf()` output for upsertCode.
   */
  bits?: number;
}

let compiled: object | undefined;

function hammingModule(): object {
  // Synchronous compile is fine in Node (no main-thread size limit) and the module is a few hundred bytes.
  compiled ??= new wasm.Module(Buffer.from(HAMMING_WASM_BASE64, 'base64'));
  return compiled;
}

const align16 = (n: number): number => (n + 15) & ~15;

const count = (hist: Uint32Array, bin: number): void => {
  hist[bin] = (hist[bin] as number) + 1;
};

/**
 * The k-th largest value (k ≥ 1) by Hoare quickselect, reordering `values` in place: O(n), where a
 * native typed-array sort of the ~20k pool scores costs ~3 ms.
 */
function kthLargest(values: Float32Array, k: number): number {
  const target = values.length - k;
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return values[target] as number;
}

export class BinaryCodeIndex {
  readonly dim: number;
  readonly bits: number;
  /** Bytes of a code as returned by encode / accepted by upsertCode. */
  readonly codeBytes: number;
  /** Random ±1/√padded factors, PROJECTION_ROUNDS rows of `padded` per block; absent for plain codes. */
  private readonly flips: Float64Array | undefined;
  /** nextPow2(dim): the Hadamard transform's size. */
  private readonly padded: number;
  /** The current query after projection, for the asymmetric lookup table. */
  private projectedQuery: Float32Array = new Float32Array(0);
  private readonly words: number;
  /** Bytes of a code in wasm memory: padded to whole v128 words, the padding bits always zero. */
  private readonly stride: number;
  /** Largest possible distance + 1: the number of histogram bins. */
  private readonly bins: number;
  private readonly kernel: HammingExports;

  // Fixed-size header: the query code, then the asymmetric-score lookup table (256 f32 per code byte).
  // Codes start after it; the distance, slot and score scratch areas follow the codes and are re-placed
  // (not copied) whenever capacity grows, since they hold nothing between queries.
  private readonly queryPtr = 0;
  private readonly lutPtr: number;
  private readonly codesPtr: number;
  private distPtr = 0;
  private slotsPtr = 0;
  private scoresPtr = 0;

  private capacity = 0;
  private count = 0;
  private readonly slotOf = new Map<number, number>();
  /** slot → id; Float64Array holds every safe integer exactly, unlike Int32Array for sqlite rowids. */
  private ids = new Float64Array(0);
  private bytes!: Uint8Array;

  constructor(dim: number, options: BinaryCodeOptions = {}) {
    const bits = options.bits ?? dim;
    if (!Number.isInteger(dim) || dim < 1 || dim > 65536) {
      throw new RangeError(`BinaryCodeIndex: dimension must be an integer in 1..65536, got ${dim}`);
    }
    if (!Number.isInteger(bits) || bits < 1 || Math.ceil(bits / 128) > MAX_WORDS) {
      throw new RangeError(`BinaryCodeIndex: bits must be an integer in 1..${MAX_WORDS * 128}, got ${bits}`);
    }
    this.dim = dim;
    this.bits = bits;
    this.padded = 1 << Math.ceil(Math.log2(dim));
    if (bits !== dim) {
      const blocks = Math.ceil(bits / this.padded);
      const rand = mulberry32(PROJECTION_SEED);
      const scale = 1 / Math.sqrt(this.padded);
      this.flips = Float64Array.from({ length: blocks * PROJECTION_ROUNDS * this.padded }, () =>
        rand() < 0.5 ? -scale : scale,
      );
    }
    this.codeBytes = Math.ceil(bits / 8);
    this.words = Math.ceil(bits / 128);
    this.stride = this.words * WORD_BYTES;
    this.bins = this.words * 128 + 1;
    this.lutPtr = align16(this.queryPtr + this.stride);
    this.codesPtr = align16(this.lutPtr + this.stride * 256 * 4);
    const instance = new wasm.Instance(hammingModule(), {});
    this.kernel = instance.exports as unknown as HammingExports;
    this.reserve(INITIAL_CAPACITY);
  }

  /**
   * Sign code of a vector: bit (i & 7) of byte (i >> 3) is set when vector[i] > 0. This is the layout
   * of sqlite-vec's vec_quantize_binary() and its bit[N] columns, so codes computed in SQL or stored as
   * bit[N] blobs can be loaded with upsertCode unchanged. (Zero components are vanishingly rare in
   * real embeddings, so `> 0` versus `>= 0` does not matter for accuracy, only for compatibility.)
   */
  static codeOf(vector: ArrayLike<number>): Uint8Array {
    const code = new Uint8Array(Math.ceil(vector.length / 8));
    BinaryCodeIndex.writeCode(vector, code, 0);
    return code;
  }

  /** This index's code for a vector: codeOf itself for plain codes, else codeOf of the rotation. */
  encode(vector: Float32Array): Uint8Array {
    return BinaryCodeIndex.codeOf(this.project(vector, 'vector'));
  }

  /** The vector in code space: itself for plain codes, else `bits` coordinates of the fixed rotation. */
  private project(vector: Float32Array, what: string): Float32Array {
    if (vector.length !== this.dim) {
      throw new RangeError(
        `BinaryCodeIndex: expected a ${this.dim}-dimensional ${what}, got ${vector.length}`,
      );
    }
    const flips = this.flips;
    if (flips === undefined) return vector;
    const p = this.padded;
    const out = new Float32Array(this.bits);
    const x = new Float64Array(p);
    for (let from = 0, row = 0; from < this.bits; from += p) {
      x.fill(0);
      x.set(vector);
      for (let r = 0; r < PROJECTION_ROUNDS; r++, row += p) {
        for (let i = 0; i < p; i++) x[i] = (x[i] as number) * (flips[row + i] as number);
        fwht(x);
      }
      out.set(x.subarray(0, Math.min(p, this.bits - from)), from);
    }
    return out;
  }

  private static writeCode(vector: ArrayLike<number>, target: Uint8Array, offset: number): void {
    const n = vector.length;
    for (let byte = 0, i = 0; i < n; byte++) {
      let bits = 0;
      for (let b = 0; b < 8 && i < n; b++, i++) if ((vector[i] as number) > 0) bits |= 1 << b;
      target[offset + byte] = bits;
    }
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of wasm memory held, codes and per-query scratch together. */
  get memoryBytes(): number {
    return this.kernel.memory.buffer.byteLength;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  upsert(id: number, vector: Float32Array): void {
    const projected = this.project(vector, 'vector');
    const slot = this.slotFor(id);
    BinaryCodeIndex.writeCode(projected, this.bytes, this.codesPtr + slot * this.stride);
  }

  /**
   * Loads a code produced by encode without needing the float vector. For plain codes (bits = dim)
   * that is also codeOf's output or a sqlite-vec bit[dim] blob.
   */
  upsertCode(id: number, code: Uint8Array): void {
    if (code.length !== this.codeBytes) {
      throw new RangeError(`BinaryCodeIndex: expected a ${this.codeBytes}-byte code, got ${code.length}`);
    }
    const slot = this.slotFor(id);
    const at = this.codesPtr + slot * this.stride;
    this.bytes.set(code, at);
    // Bits past `bits` in the last byte would otherwise count in every distance to this code.
    const spare = this.codeBytes * 8 - this.bits;
    if (spare > 0)
      this.bytes[at + this.codeBytes - 1] = (code[this.codeBytes - 1] as number) & (0xff >> spare);
  }

  remove(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.slotOf.delete(id);
    const last = this.count - 1;
    if (slot !== last) {
      const from = this.codesPtr + last * this.stride;
      this.bytes.copyWithin(this.codesPtr + slot * this.stride, from, from + this.stride);
      const movedId = this.ids[last] as number;
      this.ids[slot] = movedId;
      this.slotOf.set(movedId, slot);
    }
    this.count = last;
    return true;
  }

  /**
   * Hamming distance from the query's code to every stored code, indexed by slot. The view aliases
   * scratch memory: it is overwritten by the next query and detached when the index grows.
   */
  distances(query: Float32Array): Uint16Array {
    this.writeQuery(query);
    this.scanAll(-1, false);
    return new Uint16Array(this.kernel.memory.buffer, this.distPtr, this.count);
  }

  /** Hamming distance from the query's code to one stored code, or undefined if the id is absent. */
  distanceTo(query: Float32Array, id: number): number | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    this.writeQuery(query);
    const at = this.codesPtr + slot * this.stride;
    this.kernel.scan(at, this.queryPtr, this.words, 1, this.distPtr, -1, this.slotsPtr, 0, 0);
    return new Uint16Array(this.kernel.memory.buffer, this.distPtr, 1)[0] as number;
  }

  /** The ids of the k codes nearest the query's code by Hamming distance, nearest first (ties by slot). */
  hammingCandidates(query: Float32Array, k: number): number[] {
    this.writeQuery(query);
    const want = Math.min(Math.max(0, Math.floor(k)), this.count);
    if (want === 0) return [];
    const { found, cap } = this.gather(want, false);

    // Counting sort of the appended slots by distance: everything below the threshold distance, then
    // the first `ties` slots at exactly the threshold.
    const buffer = this.kernel.memory.buffer;
    const appended = new Int32Array(buffer, this.slotsPtr, found);
    const dist = new Uint16Array(buffer, this.distPtr, this.count);
    const hist = new Uint32Array(cap + 1);
    for (let i = 0; i < found; i++) count(hist, dist[appended[i] as number] as number);
    let threshold = 0;
    let below = 0;
    for (; below + (hist[threshold] as number) < want; threshold++) below += hist[threshold] as number;
    const next = new Uint32Array(threshold + 1);
    for (let d = 0, at = 0; d <= threshold; d++) {
      next[d] = at;
      at += hist[d] as number;
    }
    let ties = want - below;
    const out = new Array<number>(want);
    for (let i = 0; i < found; i++) {
      const slot = appended[i] as number;
      const d = dist[slot] as number;
      if (d < threshold || (d === threshold && ties-- > 0))
        out[(next[d] as number)++] = this.ids[slot] as number;
    }
    return out;
  }

  /**
   * The k ids to rescore exactly, best first. Two stages: at least `pool` of the Hamming-nearest codes
   * (default prefilterPool(size)), reordered by asymmetric score — the float query against each code's
   * ±1 signs — and cut to the best k; the order is by that score, not by Hamming distance. Hamming distance
   * quantises the query too, which blurs the rank of the true neighbour among a million near-equidistant
   * impostors; keeping the query's magnitudes ranks it much higher, so far fewer float vectors need
   * fetching for the same recall. The pool is every code within the smallest Hamming cap that holds
   * `pool` codes by the sample's estimate (so typically 1–1.5 × pool), scored inside the scan.
   */
  candidates(query: Float32Array, k: number, pool: number = prefilterPool(this.count)): number[] {
    this.writeQuery(query);
    const want = Math.min(Math.max(0, Math.floor(k)), this.count);
    if (want === 0) return [];
    this.writeLut();
    const { found } = this.gather(Math.min(this.count, Math.max(want, Math.floor(pool))), true);
    const buffer = this.kernel.memory.buffer;
    const slots = new Int32Array(buffer, this.slotsPtr, found);
    const scores = new Float32Array(buffer, this.scoresPtr, found);
    const dist = new Uint16Array(buffer, this.distPtr, this.count);

    const kth = kthLargest(Float32Array.from(scores), want);
    const picked: number[] = [];
    for (let i = 0; i < found; i++) if ((scores[i] as number) > kth) picked.push(i);
    for (let i = 0; i < found && picked.length < want; i++) if (scores[i] === kth) picked.push(i);
    // Equal scores fall back to Hamming distance, then slot, so the result is deterministic.
    const slotAt = (i: number): number => slots[i] as number;
    picked.sort(
      (a, b) =>
        (scores[b] as number) - (scores[a] as number) ||
        (dist[slotAt(a)] as number) - (dist[slotAt(b)] as number) ||
        a - b,
    );
    return picked.map((i) => this.ids[slotAt(i)] as number);
  }

  /**
   * Scans with a distance cap that admits at least `want` codes, appending (and, with `score`, scoring)
   * the admitted slots. The cap comes from a sample on large indexes; if that falls short (rare by
   * construction) every distance is known after the first scan, so the exact cap is taken from them
   * and the scan repeated — slower, never wrong.
   */
  private gather(want: number, score: boolean): { found: number; cap: number } {
    const n = this.count;
    let cap: number;
    if (want >= n) cap = this.bins - 1;
    else if (n > SAMPLE_ABOVE) cap = this.sampledCap(want);
    else {
      this.scanAll(-1, false);
      cap = this.exactCap(want);
    }
    let found = this.scanAll(cap, score);
    if (found < want) {
      cap = this.exactCap(want);
      found = this.scanAll(cap, score);
    }
    return { found, cap };
  }

  private scanAll(cap: number, score: boolean): number {
    const lut = score ? this.lutPtr : 0;
    return this.kernel.scan(
      this.codesPtr,
      this.queryPtr,
      this.words,
      this.count,
      this.distPtr,
      cap,
      this.slotsPtr,
      lut,
      this.scoresPtr,
    );
  }

  /** The smallest cap admitting `want` codes, from the distances of the last full scan. */
  private exactCap(want: number): number {
    const hist = new Uint32Array(this.bins);
    const dist = new Uint16Array(this.kernel.memory.buffer, this.distPtr, this.count);
    for (let i = 0; i < this.count; i++) count(hist, dist[i] as number);
    let cap = 0;
    for (let seen = hist[0] as number; seen < want;) seen += hist[++cap] as number;
    return cap;
  }

  /**
   * A distance cap that the `want` nearest codes almost surely fall within: the matching quantile of a
   * sample of windows spread over the whole slot range, padded by 25% plus a constant so that sampling
   * noise (~√count) rarely leaves the scan short.
   */
  private sampledCap(want: number): number {
    const n = this.count;
    const hist = new Uint32Array(this.bins);
    const dist = new Uint16Array(this.kernel.memory.buffer, this.distPtr, n);
    for (let w = 0; w < SAMPLE_WINDOWS; w++) {
      const start = Math.floor((w * (n - SAMPLE_WINDOW)) / (SAMPLE_WINDOWS - 1));
      this.kernel.scan(
        this.codesPtr + start * this.stride,
        this.queryPtr,
        this.words,
        SAMPLE_WINDOW,
        this.distPtr + start * 2,
        -1,
        this.slotsPtr,
        0,
        0,
      );
      for (let i = start; i < start + SAMPLE_WINDOW; i++) count(hist, dist[i] as number);
    }
    const sampled = SAMPLE_WINDOWS * SAMPLE_WINDOW;
    const target = Math.ceil((1.25 * want * sampled) / n) + 16;
    if (target >= sampled) return this.bins - 1;
    let cap = 0;
    for (let seen = hist[0] as number; seen < target;) seen += hist[++cap] as number;
    return cap;
  }

  private writeQuery(query: Float32Array): void {
    this.projectedQuery = this.project(query, 'query');
    this.bytes.fill(0, this.queryPtr, this.queryPtr + this.stride);
    BinaryCodeIndex.writeCode(this.projectedQuery, this.bytes, this.queryPtr);
  }

  /**
   * Per code byte b and byte value v: Σ over its 8 bits of (bit set ? +q : −q). Built from the empty
   * byte up, each entry one addition from the entry without its lowest set bit. Bytes past the
   * code (v128 padding) see q = 0 and contribute nothing. Uses the query of the last writeQuery.
   */
  private writeLut(): void {
    const query = this.projectedQuery;
    const lut = new Float32Array(this.kernel.memory.buffer, this.lutPtr, this.stride * 256);
    const row = new Float64Array(256);
    for (let b = 0; b < this.stride; b++) {
      let none = 0;
      for (let j = 0; j < 8; j++) none -= query[b * 8 + j] ?? 0;
      row[0] = none;
      for (let v = 1; v < 256; v++) {
        const low = v & -v;
        row[v] = (row[v ^ low] as number) + 2 * (query[b * 8 + 31 - Math.clz32(low)] ?? 0);
      }
      lut.set(row, b * 256);
    }
  }

  private slotFor(id: number): number {
    if (!Number.isSafeInteger(id))
      throw new RangeError(`BinaryCodeIndex: id must be a safe integer, got ${id}`);
    const existing = this.slotOf.get(id);
    if (existing !== undefined) return existing;
    if (this.count === this.capacity) this.reserve(this.capacity * 2);
    const slot = this.count++;
    this.slotOf.set(id, slot);
    this.ids[slot] = id;
    return slot;
  }

  private reserve(capacity: number): void {
    const distPtr = align16(this.codesPtr + capacity * this.stride);
    const slotsPtr = align16(distPtr + capacity * 2);
    const scoresPtr = slotsPtr + capacity * 4;
    const needed = scoresPtr + capacity * 4;
    const memory = this.kernel.memory;
    const have = memory.buffer.byteLength;
    if (needed > have) memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
    // Growing detaches every view of the old buffer.
    this.bytes = new Uint8Array(memory.buffer);
    const ids = new Float64Array(capacity);
    ids.set(this.ids.subarray(0, this.count));
    this.ids = ids;
    this.capacity = capacity;
    this.distPtr = distPtr;
    this.slotsPtr = slotsPtr;
    this.scoresPtr = scoresPtr;
  }
}
