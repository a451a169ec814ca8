import { describe, expect, it } from 'vitest';
import { modelById } from '../catalogue/manifest.js';
import { resolveModel } from '../catalogue/resolve.js';
import { flushDenormalWeights, makeBatchDynamic } from './onnx-proto.js';
import { createSession, ort } from './session.js';

describe('ONNX load-time fixes (bundled MobileFaceNet)', () => {
  const entry = modelById('faceplugin-mobilefacenet512');

  it('flushes the denormal weights without changing the outputs', async () => {
    const raw = resolveModel(entry).bytes;
    const flushed = new Uint8Array(raw);
    const n = flushDenormalWeights(flushed);
    expect(n).toBeGreaterThan(8000);
    expect(flushDenormalWeights(flushed)).toBe(0);
    const x = new Float32Array(3 * 112 * 112).map((_, i) => Math.sin(i) * 0.9);
    const run = async (bytes: Uint8Array) => {
      const s = await createSession(bytes, 'test');
      const out = await s.run({ input: new ort.Tensor('float32', x, [1, 3, 112, 112]) });
      return out.output!.data as Float32Array;
    };
    const a = await run(raw);
    const b = await run(flushed);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('turns the fixed batch of one into a symbolic batch', async () => {
    const dyn = makeBatchDynamic(resolveModel(entry).bytes);
    const s = await createSession(dyn, 'test');
    const one = new Float32Array(3 * 112 * 112).map((_, i) => Math.cos(i) * 0.5);
    const three = new Float32Array(one.length * 3);
    for (let k = 0; k < 3; k++) three.set(one, k * one.length);
    const out = (await s.run({ input: new ort.Tensor('float32', three, [3, 3, 112, 112]) })).output!;
    // The graph flattens its output to [1, n*512] (a Reshape it was exported with): the data
    // is still face-major, which is all the recognizer relies on.
    expect(out.data.length).toBe(3 * 512);
    const v = out.data as Float32Array;
    const single = (await s.run({ input: new ort.Tensor('float32', one, [1, 3, 112, 112]) })).output!
      .data as Float32Array;
    for (let i = 0; i < 512; i++) {
      expect(v[i]).toBeCloseTo(single[i]!, 4);
      expect(v[1024 + i]).toBeCloseTo(single[i]!, 4);
    }
  });
});
