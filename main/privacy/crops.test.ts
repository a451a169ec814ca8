import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { openDatabase } from '../store/open.js';
import { Store } from '../store/store.js';
import { VectorStore } from '../store/vectors.js';
import { insertUnknown } from '../store/unknowns.js';
import { hasCrop, purgeExpiredCrops, readCrop, reapplyRetention, storeCrop } from './crops.js';

const STRANGER = asset('faces', 'celeba', '07205', '018774.jpg');
const OTHER = asset('faces', 'celeba', '07203', '007200.jpg');

describeWithAssets('encrypted face crops of unknown persons', () => {
  it('keeps one encrypted crop, readable only with the right key, gone on dismissal and after retention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-crops-'));
    // A plaintext store first, so the raw-file check shows the crop sealed on its own; the next
    // open encrypts the store in place and the crops stay readable.
    let engine = Engine.open({ dataDir: dir, passphrase: 'correct horse battery', encryptStore: false });
    const [face] = await engine.identify(STRANGER);
    const id = face!.unknown_id!;
    expect(hasCrop(engine.store, id)).toBe(true);
    const jpeg = engine.readCrop(id);
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(40);
    engine.store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    // Neither the JPEG nor its distinctive bytes appear in the database file.
    const file = readFileSync(join(dir, 'vigil.db'));
    expect(file.includes(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    expect(file.includes(jpeg.subarray(100, 132))).toBe(false);
    expect(() => readCrop(engine.store, randomBytes(32), id)).toThrow(/cannot be decrypted/);
    engine.close();

    expect(() => Engine.open({ dataDir: dir, passphrase: 'wrong horse battery' })).toThrow(
      /Wrong passphrase/,
    );
    // The passphrase locks the whole folder now, not only the crops.
    expect(() => Engine.open({ dataDir: dir })).toThrow(/locked with a passphrase/);

    engine = Engine.open({ dataDir: dir, passphrase: 'correct horse battery' });
    expect(engine.readCrop(id).equals(jpeg)).toBe(true);
    const [other] = await engine.identify(OTHER);
    expect(hasCrop(engine.store, other!.unknown_id!)).toBe(true);
    engine.resolveUnknown(id, 'dismissed');
    expect(hasCrop(engine.store, id)).toBe(false);
    expect(() => engine.readCrop(id)).toThrow(/No face crop is kept/);
    // A dismissed person is no longer matched: the same face becomes a new unknown.
    const [again] = await engine.identify(STRANGER);
    expect(again!.type).toBe('new_unknown');
    expect(again!.unknown_id).not.toBe(id);

    expect(engine.purgeExpired(new Date(Date.now() + 29 * 86_400_000))).toBe(0);
    expect(engine.purgeExpired(new Date(Date.now() + 31 * 86_400_000))).toBe(2);
    expect(hasCrop(engine.store, other!.unknown_id!)).toBe(false);
    engine.close();
  });
});

describe('retention changed while crops are kept', () => {
  it('re-dates every kept crop from when it was taken, so a shorter retention purges them', () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'vigil-retention-')), {
      recognizerId: 'r',
      embeddingDim: 8,
    });
    const store = new Store(db, new VectorStore(db, 8));
    const taken = new Date('2026-11-01T10:00:00.000Z');
    insertUnknown(db, 'UNKNOWN_old', taken.toISOString(), null, 0.9, 'r');
    storeCrop(store, randomBytes(32), 'UNKNOWN_old', Buffer.from('not really a jpeg'), 30, taken);
    const expires = () =>
      db.prepare("SELECT expires_at FROM unknown_crops WHERE unknown_id = 'UNKNOWN_old'").pluck().get();
    expect(expires()).toBe('2026-12-01T10:00:00.000Z');
    expect(reapplyRetention(store, 7)).toBe(1);
    expect(expires()).toBe('2026-11-08T10:00:00.000Z');
    expect(purgeExpiredCrops(store, new Date('2026-11-08T09:59:59.000Z'))).toBe(0);
    expect(purgeExpiredCrops(store, new Date('2026-11-08T10:00:00.000Z'))).toBe(1);
    db.close();
  });
});
