/**
 * Just enough of the protobuf wire format to adjust an ONNX model in memory before it is
 * handed to onnxruntime: flushing denormal weights (they make x86 float maths ~100× slower
 * per operation) and turning a fixed batch dimension of 1 into a symbolic one. Pulling in a
 * full protobuf runtime and the ONNX schema for these two edits would be far heavier.
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

interface Field {
  no: number;
  wire: number;
  /** Whole field, header included. */
  start: number;
  end: number;
  /** Payload of a length-delimited field (or the scalar bytes otherwise). */
  valueStart: number;
  valueEnd: number;
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift *= 128;
    if (shift > 2 ** 63) throw new Error('varint too long');
  }
}

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Math.floor(key / 8);
    const wire = key & 7;
    let valueStart = pos;
    let valueEnd: number;
    if (wire === WIRE_VARINT) {
      valueEnd = readVarint(buf, pos)[1];
    } else if (wire === WIRE_I64) {
      valueEnd = pos + 8;
    } else if (wire === WIRE_LEN) {
      const [len, p2] = readVarint(buf, pos);
      valueStart = p2;
      valueEnd = p2 + len;
    } else if (wire === WIRE_I32) {
      valueEnd = pos + 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
    if (valueEnd > end) throw new Error('field overruns its message');
    pos = valueEnd;
    yield { no, wire, start: fieldStart, end: valueEnd, valueStart, valueEnd };
  }
}

// ONNX field numbers (onnx.proto3).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_ATTRIBUTE = 5;
const ATTR_T = 5;
const ATTR_G = 6;
const ATTR_TENSORS = 10;
const ATTR_GRAPHS = 11;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_RAW_DATA = 9;
const TENSOR_TYPE_FLOAT = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;

function flushFloats(buf: Uint8Array, start: number, end: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset + start, end - start);
  let flushed = 0;
  for (let off = 0; off + 4 <= view.byteLength; off += 4) {
    const bits = view.getUint32(off, true);
    // Exponent all zero, mantissa non-zero: a subnormal float.
    if ((bits & 0x7f800000) === 0 && (bits & 0x007fffff) !== 0) {
      view.setUint32(off, 0, true);
      flushed++;
    }
  }
  return flushed;
}

function flushTensor(buf: Uint8Array, start: number, end: number): number {
  let dataType = 0;
  for (const f of fields(buf, start, end)) {
    if (f.no === TENSOR_DATA_TYPE && f.wire === WIRE_VARINT) dataType = readVarint(buf, f.valueStart)[0];
  }
  if (dataType !== TENSOR_TYPE_FLOAT) return 0;
  let flushed = 0;
  for (const f of fields(buf, start, end)) {
    if ((f.no === TENSOR_RAW_DATA || f.no === TENSOR_FLOAT_DATA) && f.wire === WIRE_LEN) {
      flushed += flushFloats(buf, f.valueStart, f.valueEnd);
    } else if (f.no === TENSOR_FLOAT_DATA && f.wire === WIRE_I32) {
      flushed += flushFloats(buf, f.valueStart, f.valueEnd);
    }
  }
  return flushed;
}

function flushGraph(buf: Uint8Array, start: number, end: number): number {
  let flushed = 0;
  for (const f of fields(buf, start, end)) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.no === GRAPH_INITIALIZER) flushed += flushTensor(buf, f.valueStart, f.valueEnd);
    if (f.no === GRAPH_NODE) {
      for (const a of fields(buf, f.valueStart, f.valueEnd)) {
        if (a.no !== NODE_ATTRIBUTE || a.wire !== WIRE_LEN) continue;
        for (const v of fields(buf, a.valueStart, a.valueEnd)) {
          if (v.wire !== WIRE_LEN) continue;
          if (v.no === ATTR_T || v.no === ATTR_TENSORS) flushed += flushTensor(buf, v.valueStart, v.valueEnd);
          if (v.no === ATTR_G || v.no === ATTR_GRAPHS) flushed += flushGraph(buf, v.valueStart, v.valueEnd);
        }
      }
    }
  }
  return flushed;
}

/**
 * Sets every subnormal float weight of the model to zero, in place. Lengths do not change,
 * so no re-encoding is needed. Returns how many values were flushed.
 */
export function flushDenormalWeights(model: Uint8Array): number {
  let flushed = 0;
  for (const f of fields(model, 0, model.length)) {
    if (f.no === MODEL_GRAPH && f.wire === WIRE_LEN) flushed += flushGraph(model, f.valueStart, f.valueEnd);
  }
  return flushed;
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lenField(no: number, payload: Uint8Array): Uint8Array {
  const header = [...encodeVarint(no * 8 + WIRE_LEN), ...encodeVarint(payload.length)];
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Rebuilds a message, replacing the payload of chosen length-delimited fields. */
function rewrite(
  buf: Uint8Array,
  start: number,
  end: number,
  edit: (f: Field) => Uint8Array | null | undefined,
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields(buf, start, end)) {
    const replaced = edit(f);
    if (replaced === undefined) parts.push(buf.subarray(f.start, f.end));
    else if (replaced !== null) parts.push(replaced);
    // null drops the field
  }
  return concat(parts);
}

const symbolicBatch = new TextEncoder().encode('batch');

function withSymbolicBatch(buf: Uint8Array, vi: Field, allDims = false): Uint8Array {
  let index = 0;
  const shape = (s: Field): Uint8Array | undefined => {
    if (s.no !== SHAPE_DIM || (index > 0 && !allDims)) return undefined;
    const name = index === 0 ? symbolicBatch : new TextEncoder().encode(`dim${index}`);
    index++;
    const dim = rewrite(buf, s.valueStart, s.valueEnd, (d) => (d.no === DIM_VALUE ? null : undefined));
    return lenField(SHAPE_DIM, concat([dim, lenField(2, name)]));
  };
  const tensorType = (t: Field): Uint8Array | undefined =>
    t.no === TENSOR_TYPE_SHAPE ? lenField(t.no, rewrite(buf, t.valueStart, t.valueEnd, shape)) : undefined;
  const type = (t: Field): Uint8Array | undefined =>
    t.no === TYPE_TENSOR ? lenField(t.no, rewrite(buf, t.valueStart, t.valueEnd, tensorType)) : undefined;
  const valueInfo = rewrite(buf, vi.valueStart, vi.valueEnd, (f) =>
    f.no === VALUE_INFO_TYPE ? lenField(f.no, rewrite(buf, f.valueStart, f.valueEnd, type)) : undefined,
  );
  return lenField(vi.no, valueInfo);
}

/**
 * Declares the first dimension of every graph input and output symbolic, so a model exported
 * with a fixed batch of 1 can run several faces per call; with `allDims` every dimension, so a
 * fully convolutional model exported at one input size runs at any (YuNet on a face crop). Intermediate shape annotations are
 * dropped (onnxruntime infers them again). Returns a new buffer.
 */
export function makeBatchDynamic(model: Uint8Array, allDims = false): Uint8Array {
  return rewrite(model, 0, model.length, (f) => {
    if (f.no !== MODEL_GRAPH || f.wire !== WIRE_LEN) return undefined;
    const graph = rewrite(model, f.valueStart, f.valueEnd, (g) => {
      if (g.no === GRAPH_VALUE_INFO) return null;
      if (g.no === GRAPH_INPUT || g.no === GRAPH_OUTPUT) return withSymbolicBatch(model, g, allDims);
      return undefined;
    });
    return lenField(f.no, graph);
  });
}
