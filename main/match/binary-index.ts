/**
 * In-memory binary-code prefilter for 1:N search.
 *
 * Each embedding is reduced to one sign bit per dimension; the Hamming distance between two such codes
 * estimates the angle between the vectors (SimHash), so the few codes nearest the probe's code contain
 * its true cosine neighbours with high probability. Scanning 1M × 512-bit codes is memory-bound in a
 * wasm SIMD kernel (~7 ms here) where the same scan in plain JS takes ~100 ms. The candidates are then
 * rescored exactly from their float vectors (see search.ts), so this index never decides a match alone.
 *
 * Codes live contiguously in the kernel's own wasm memory; removal swaps the last code into the hole so
 * the scanned range stays dense and every operation but the scan is O(1).
 */
import { HAMMING_WASM_BASE64 } from './hamming-wasm.js';

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
  scan(codes: number, query: number, words: number, count: number, dist: number, hist: number): void;
  select(dist: number, count: number, threshold: number, ties: number, next: number, out: number): void;
}

const WORD_BYTES = 16;
const PAGE_BYTES = 65536;
/** The kernel accumulates per-byte popcounts in i8 lanes; 31 words × 8 bits per lane stays below 256. */
const MAX_WORDS = 31;
const INITIAL_CAPACITY = 1024;

let compiled: object | undefined;

function hammingModule(): object {
  // Synchronous compile is fine in Node (no main-thread size limit) and the module is a few hundred bytes.
  compiled ??= new wasm.Module(Buffer.from(HAMMING_WASM_BASE64, 'base64'));
  return compiled;
}

const align16 = (n: number): number => (n + 15) & ~15;

export class BinaryCodeIndex {
  readonly dim: number;
  /** Bytes of a code as returned by codeOf / accepted by upsertCode. */
  readonly codeBytes: number;
  private readonly words: number;
  /** Bytes of a code in wasm memory: padded to whole v128 words, the padding bits always zero. */
  private readonly stride: number;
  private readonly kernel: HammingExports;

  // Fixed-size header: query code, then the distance histogram and the counting-sort cursors, each
  // indexed by distance 0..words*128. Codes start after it; the distance and slot scratch areas follow
  // the codes and are re-placed (not copied) whenever capacity grows, since they hold nothing between
  // queries.
  private readonly queryPtr = 0;
  private readonly histPtr: number;
  private readonly nextPtr: number;
  private readonly codesPtr: number;
  private distPtr = 0;
  private slotsPtr = 0;

  private capacity = 0;
  private count = 0;
  private readonly slotOf = new Map<number, number>();
  /** slot → id; Float64Array holds every safe integer exactly, unlike Int32Array for sqlite rowids. */
  private ids = new Float64Array(0);
  private bytes!: Uint8Array;

  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim < 1 || Math.ceil(dim / 128) > MAX_WORDS) {
      throw new RangeError(
        `BinaryCodeIndex: dimension must be an integer in 1..${MAX_WORDS * 128}, got ${dim}`,
      );
    }
    this.dim = dim;
    this.codeBytes = Math.ceil(dim / 8);
    this.words = Math.ceil(dim / 128);
    this.stride = this.words * WORD_BYTES;
    const bins = this.words * 128 + 1;
    this.histPtr = align16(this.queryPtr + this.stride);
    this.nextPtr = align16(this.histPtr + bins * 4);
    this.codesPtr = align16(this.nextPtr + bins * 4);
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
    if (vector.length !== this.dim) {
      throw new RangeError(
        `BinaryCodeIndex: expected a ${this.dim}-dimensional vector, got ${vector.length}`,
      );
    }
    const slot = this.slotFor(id);
    BinaryCodeIndex.writeCode(vector, this.bytes, this.codesPtr + slot * this.stride);
  }

  /** Loads a code produced by codeOf (or a sqlite-vec bit[dim] blob) without needing the float vector. */
  upsertCode(id: number, code: Uint8Array): void {
    if (code.length !== this.codeBytes) {
      throw new RangeError(`BinaryCodeIndex: expected a ${this.codeBytes}-byte code, got ${code.length}`);
    }
    const slot = this.slotFor(id);
    const at = this.codesPtr + slot * this.stride;
    this.bytes.set(code, at);
    // Bits past `dim` in the last byte would otherwise count in every distance to this code.
    const spare = this.codeBytes * 8 - this.dim;
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
    this.scan(query);
    return new Uint16Array(this.kernel.memory.buffer, this.distPtr, this.count);
  }

  /** The ids of the k codes nearest the query's code, nearest first (ties in slot order). */
  candidates(query: Float32Array, k: number): number[] {
    const n = this.count;
    const want = Math.min(Math.max(0, Math.floor(k)), n);
    if (want === 0) return [];
    const hist = this.scan(query);

    // Smallest distance whose cumulative count reaches `want`: everything nearer is taken, and only the
    // first `ties` codes at exactly that distance.
    let threshold = 0;
    let below = 0;
    for (; below + (hist[threshold] as number) < want; threshold++) below += hist[threshold] as number;
    const next = new Int32Array(this.kernel.memory.buffer, this.nextPtr, threshold + 1);
    for (let d = 0, at = 0; d <= threshold; d++) {
      next[d] = at;
      at += hist[d] as number;
    }
    this.kernel.select(this.distPtr, n, threshold, want - below, this.nextPtr, this.slotsPtr);

    const slots = new Int32Array(this.kernel.memory.buffer, this.slotsPtr, want);
    const out = new Array<number>(want);
    for (let i = 0; i < want; i++) out[i] = this.ids[slots[i] as number] as number;
    return out;
  }

  /** Runs the kernel for the query; returns the distance histogram it filled. */
  private scan(query: Float32Array): Uint32Array {
    if (query.length !== this.dim) {
      throw new RangeError(`BinaryCodeIndex: expected a ${this.dim}-dimensional query, got ${query.length}`);
    }
    this.bytes.fill(0, this.queryPtr, this.queryPtr + this.stride);
    BinaryCodeIndex.writeCode(query, this.bytes, this.queryPtr);
    const hist = new Uint32Array(this.kernel.memory.buffer, this.histPtr, this.words * 128 + 1);
    hist.fill(0);
    this.kernel.scan(this.codesPtr, this.queryPtr, this.words, this.count, this.distPtr, this.histPtr);
    return hist;
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
    const needed = slotsPtr + capacity * 4;
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
  }
}
