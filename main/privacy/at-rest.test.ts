import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { isVigilError } from '../errors.js';
import { writeMeta } from '../store/config.js';
import { databaseFileState, DB_FILE, openDatabase } from '../store/open.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { hasCrop } from './crops.js';
import { DEVICE_KEY_FILE, KEY_FILE, readKeyFile } from './key-file.js';

const A = (f: string) => asset('faces', 'celeba', '07201', f);
const STRANGER = asset('faces', 'celeba', '07205', '018774.jpg');
const NAME = 'Zebulon Quarterfield';
const PASSPHRASE = 'correct horse battery';

const fresh = (tag: string) => mkdtempSync(join(tmpdir(), `vigil-at-rest-${tag}-`));

/** vigil.db and its WAL as they lie on disk right now, while the engine may still be writing. */
function rawStore(dir: string): Buffer {
  const parts = [DB_FILE, `${DB_FILE}-wal`]
    .map((f) => join(dir, f))
    .filter(existsSync)
    .map((p) => readFileSync(p));
  return Buffer.concat(parts);
}

async function enrollMember(engine: Engine): Promise<{ memberId: string; vectorBytes: Buffer[] }> {
  const r = await engine.enroll({ name: NAME, apartment: '9Z' }, [A('001085.jpg'), A('007710.jpg')]);
  const ids = engine.store.sql.prepare('SELECT embedding_id FROM embeddings').pluck().all() as number[];
  expect(ids.length).toBeGreaterThanOrEqual(2);
  const vectorBytes = ids.map((id) => {
    const v = engine.store.vectors.vector(id);
    // 64 bytes from the middle of the vector: 16 floats no other data would repeat by chance.
    return Buffer.from(v.buffer, v.byteOffset + 512, 64);
  });
  return { memberId: r.member_id, vectorBytes };
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isVigilError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a VigilError');
}

describeWithAssets('biometric data at rest', () => {
  it('keeps no member name or embedding bytes in the database files; a plaintext store shows both', async () => {
    const plainDir = fresh('plain');
    const plain = Engine.open({ dataDir: plainDir, encryptStore: false });
    const plainEnroll = await enrollMember(plain);
    // The same search on a store left plaintext finds both: the check below can fail.
    const plainRaw = rawStore(plainDir);
    expect(plainRaw.includes(Buffer.from(NAME))).toBe(true);
    expect(plainEnroll.vectorBytes.some((b) => plainRaw.includes(b))).toBe(true);
    plain.close();
    expect(databaseFileState(plainDir)).toBe('plaintext');

    const dir = fresh('enc');
    const engine = Engine.open({ dataDir: dir });
    expect(engine.keySource).toBe('device');
    const { vectorBytes } = await enrollMember(engine);
    expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(true);
    const whileOpen = rawStore(dir);
    engine.close();
    // After close the WAL is checkpointed into vigil.db: both states are checked.
    for (const raw of [whileOpen, rawStore(dir)]) {
      expect(raw.length).toBeGreaterThan(100_000);
      expect(raw.includes(Buffer.from(NAME))).toBe(false);
      for (const b of vectorBytes) expect(raw.includes(b)).toBe(false);
      expect(raw.includes(Buffer.from('CREATE TABLE'))).toBe(false);
    }
    expect(databaseFileState(dir)).toBe('encrypted');
    // The keys lie beside the data, readable by the owner only.
    for (const f of [KEY_FILE, DEVICE_KEY_FILE]) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(readKeyFile(dir)).toMatchObject({ source: 'device', store: { cipher: 'sqlcipher' } });
  }, 120_000);

  it('a copied data folder does not open without its key files', async () => {
    const dir = fresh('src');
    const engine = Engine.open({ dataDir: dir });
    await enrollMember(engine);
    engine.close();

    const dbOnly = fresh('copy');
    copyFileSync(join(dir, DB_FILE), join(dbOnly, DB_FILE));
    const noKeys = errorOf(() => Engine.open({ dataDir: dbOnly }));
    expect(noKeys.code).toBe('STORE_LOCKED');
    expect(noKeys.message).toMatch(/encrypted but its key file keys\.json is missing/);
    // Nothing was created in the copy to paper over the loss.
    expect(existsSync(join(dbOnly, KEY_FILE))).toBe(false);
    expect(existsSync(join(dbOnly, DEVICE_KEY_FILE))).toBe(false);
    // Plain SQLite cannot read it either, nor can a guessed key.
    const raw = new Database(join(dbOnly, DB_FILE), { readonly: true });
    expect(() => raw.prepare('SELECT name FROM members').all()).toThrow(/file is not a database/);
    raw.close();
    const guessed = errorOf(() =>
      openDatabase(dbOnly, { recognizerId: 'any', embeddingDim: 512, key: randomBytes(32) }),
    );
    expect(guessed.code).toBe('STORE_LOCKED');
    expect(guessed.message).toMatch(/cannot be decrypted with the key in its keys\.json/);

    copyFileSync(join(dir, KEY_FILE), join(dbOnly, KEY_FILE));
    const noDeviceKey = errorOf(() => Engine.open({ dataDir: dbOnly }));
    expect(noDeviceKey.code).toBe('STORE_LOCKED');
    expect(noDeviceKey.message).toMatch(/device key \(device\.key\) .* is missing/);

    // Another folder's device key is told apart from a damaged one.
    const other = fresh('other');
    Engine.open({ dataDir: other }).close();
    copyFileSync(join(other, DEVICE_KEY_FILE), join(dbOnly, DEVICE_KEY_FILE));
    expect(errorOf(() => Engine.open({ dataDir: dbOnly })).message).toMatch(
      /device key \(device\.key\) does not belong to/,
    );

    // Device mode is only as strong as file permissions: with both files the copy opens.
    copyFileSync(join(dir, DEVICE_KEY_FILE), join(dbOnly, DEVICE_KEY_FILE));
    const opened = Engine.open({ dataDir: dbOnly });
    expect(opened.store.sql.prepare('SELECT name FROM members').pluck().all()).toEqual([NAME]);
    opened.close();
  }, 120_000);

  it('a passphrase folder refuses no passphrase and a wrong one, and the right one identifies the member', async () => {
    const dir = fresh('pass');
    let engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE });
    expect(engine.keySource).toBe('passphrase');
    const { memberId } = await enrollMember(engine);
    engine.close();
    expect(existsSync(join(dir, DEVICE_KEY_FILE))).toBe(false);
    expect(readFileSync(join(dir, KEY_FILE), 'utf8')).not.toContain(PASSPHRASE);

    const none = errorOf(() => Engine.open({ dataDir: dir }));
    expect(none).toEqual({
      code: 'STORE_LOCKED',
      message: 'This data folder is locked with a passphrase: set VIGIL_PASSPHRASE or use --passphrase-file.',
    });
    expect(existsSync(join(dir, DEVICE_KEY_FILE))).toBe(false);
    const wrong = errorOf(() => Engine.open({ dataDir: dir, passphrase: 'correct horse battery!' }));
    expect(wrong.code).toBe('STORE_LOCKED');
    expect(wrong.message).toMatch(/^Wrong passphrase: it does not unlock the data folder/);

    // The whole folder, keys.json included, copied elsewhere still needs the passphrase.
    const copy = fresh('pass-copy');
    for (const f of [DB_FILE, KEY_FILE]) copyFileSync(join(dir, f), join(copy, f));
    expect(errorOf(() => Engine.open({ dataDir: copy })).message).toMatch(/locked with a passphrase/);

    engine = Engine.open({ dataDir: copy, passphrase: PASSPHRASE });
    const faces = await engine.identify(A('021650.jpg'));
    expect(faces.find((f) => f.type === 'known_member')).toMatchObject({ member_id: memberId, name: NAME });
    engine.close();
  }, 120_000);

  it('encrypts a store from before keys.json in place, keeping its passphrase and crops', async () => {
    const dir = fresh('legacy');
    let engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE, encryptStore: false });
    const { memberId } = await enrollMember(engine);
    const [stranger] = await engine.identify(STRANGER);
    const unknownId = stranger!.unknown_id!;
    const crop = engine.readCrop(unknownId);
    // Put the folder back in its pre-keys.json shape: salt and key check inside the database.
    const keys = readKeyFile(dir)!;
    writeMeta(engine.store.sql, 'kdf_salt', keys.kdf!.salt);
    writeMeta(engine.store.sql, 'key_check', keys.key_check);
    engine.close();
    rmSync(join(dir, KEY_FILE));
    expect(databaseFileState(dir)).toBe('plaintext');
    expect(rawStore(dir).includes(Buffer.from(NAME))).toBe(true);

    expect(errorOf(() => Engine.open({ dataDir: dir })).message).toMatch(/locked with a passphrase/);
    expect(errorOf(() => Engine.open({ dataDir: dir, passphrase: 'not the passphrase' })).message).toMatch(
      /^Wrong passphrase/,
    );
    expect(databaseFileState(dir)).toBe('plaintext');

    engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE });
    expect(databaseFileState(dir)).toBe('encrypted');
    expect(readKeyFile(dir)).toMatchObject({ source: 'passphrase', kdf: { salt: keys.kdf!.salt } });
    expect(engine.store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(
      engine.store.sql.prepare("SELECT COUNT(*) FROM system_config WHERE key LIKE 'meta.k%'").pluck().get(),
    ).toBe(0);
    expect(hasCrop(engine.store, unknownId)).toBe(true);
    expect(engine.readCrop(unknownId).equals(crop)).toBe(true);
    const faces = await engine.identify(A('021650.jpg'));
    expect(faces.find((f) => f.type === 'known_member')?.member_id).toBe(memberId);
    engine.close();
    expect(rawStore(dir).includes(Buffer.from(NAME))).toBe(false);
  }, 120_000);
});
