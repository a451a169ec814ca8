import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from './engine.js';

describe('the master key stays inside the engine', () => {
  let engine: Engine | undefined;
  afterEach(() => engine?.close());

  it('lends a copy for one synchronous hand-over and zeroes it afterwards', () => {
    engine = Engine.open({
      dataDir: mkdtempSync(join(tmpdir(), 'vigil-engine-keys-')),
      passphrase: 'a long enough passphrase',
    });
    let during: Buffer | undefined;
    const lent = engine.lendMasterKey((key) => {
      during = Buffer.from(key);
      return key;
    });
    expect(during).toHaveLength(32);
    expect(during!.some((b) => b !== 0)).toBe(true);
    expect(lent.every((b) => b === 0)).toBe(true);
    // The engine's own key is untouched: a second loan sees the same bytes.
    expect(engine.lendMasterKey((key) => Buffer.from(key).equals(during!))).toBe(true);
  });

  it('answers a crop that is not kept with a sentence', () => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-engine-keys-')) });
    expect(() => engine!.readCrop('UNKNOWN_20260301_deadbeef')).toThrow(
      /No face crop is kept for UNKNOWN_20260301_deadbeef/,
    );
  });
});
