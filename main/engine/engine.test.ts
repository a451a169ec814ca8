import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listAppearances } from '../store/appearances.js';
import { verifyAudit } from '../store/audit.js';
import { listMembers } from '../store/members.js';
import { listUnknowns } from '../store/unknowns.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { pngBomb, unusualVariants } from '../testing/images.js';
import { Engine } from './engine.js';

const A = (f: string) => asset('faces', 'celeba', '07201', f);
const B = (f: string) => asset('faces', 'celeba', '07203', f);
const TWO_PEOPLE = asset('faces', 'face_recognition_knn', 'extra', 'two_people.jpg');

function counts(e: Engine) {
  const n = (sql: string) => e.store.sql.prepare(sql).pluck().get() as number;
  return {
    members: n('SELECT COUNT(*) FROM members'),
    embeddings: n('SELECT COUNT(*) FROM embeddings'),
    vectors: n('SELECT COUNT(*) FROM face_vectors'),
    unknowns: n('SELECT COUNT(*) FROM unknown_persons'),
    appearances: n('SELECT COUNT(*) FROM appearances'),
  };
}

describeWithAssets('engine: enrollment and identification on real photos', () => {
  let dir: string;
  let engine: Engine;
  let memberId: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-engine-'));
    // Plaintext, so the raw-file check below sees what is stored (encryption: privacy/at-rest.test.ts).
    engine = Engine.open({ dataDir: dir, encryptStore: false });
    const r = await engine.enroll({ name: `Ann "Q" O'Hara'); DROP TABLE members;--`, apartment: '4B' }, [
      A('001085.jpg'),
      A('007710.jpg'),
      A('017588.jpg'),
    ]);
    memberId = r.member_id;
    expect(r.embeddings_count).toBe(3);
    expect(r.rejected).toEqual([]);
    expect(r.quality_score).toBeGreaterThan(0.3);
  });
  afterAll(() => engine?.close());

  it('stores embeddings only: shots plus a centroid, no image bytes', () => {
    const c = counts(engine);
    expect(c).toMatchObject({ members: 1, embeddings: 4, vectors: 4 });
    const m = listMembers(engine.store.sql)[0]!;
    expect(m.name).toBe(`Ann "Q" O'Hara'); DROP TABLE members;--`);
    const dbBytes = readFileSync(join(dir, 'vigil.db'));
    const jpegMagic = Buffer.from([0xff, 0xd8, 0xff]);
    expect(dbBytes.includes(jpegMagic)).toBe(false);
  });

  it('names the member on other photos and logs the appearance', async () => {
    const faces = await engine.identify(A('021650.jpg'));
    const subject = faces.find((f) => f.type === 'known_member');
    expect(subject?.member_id).toBe(memberId);
    expect(subject!.confidence).toBeGreaterThanOrEqual(engine.thresholds().recognition);
    expect(subject!.candidates[0]).toMatchObject({ member_id: memberId });
    expect(listAppearances(engine.store.sql).some((a) => a.person_id === memberId)).toBe(true);
    expect(listMembers(engine.store.sql)[0]!.total_appearances).toBe(1);
  });

  it('gives a stranger a stable UNKNOWN_ id that recurs on another photo of them', async () => {
    const first = (await engine.identify(B('007200.jpg'))).find((f) => f.type === 'new_unknown');
    expect(first?.unknown_id).toMatch(/^UNKNOWN_\d{8}_[0-9a-f]{8}$/);
    const again = (await engine.identify(B('007444.jpg'))).find((f) => f.unknown_id === first!.unknown_id);
    expect(again?.type).toBe('recurring_unknown');
    const u = listUnknowns(engine.store.sql).find((x) => x.unknown_id === first!.unknown_id)!;
    expect(u.appearance_count).toBe(2);
  });

  it('reads CMYK, greyscale, 16-bit, EXIF-rotated and WebP copies of a member photo and names them', async () => {
    const variants = await unusualVariants(readFileSync(A('030251.jpg')));
    for (const [name, buf] of Object.entries(variants)) {
      const file = join(dir, `${name}.img`);
      writeFileSync(file, buf);
      const faces = await engine.identify(file);
      expect(
        faces.some((f) => f.member_id === memberId),
        name,
      ).toBe(true);
    }
  });

  it('rejects unusable enrollment photos with reasons and leaves the store unchanged', async () => {
    const before = counts(engine);
    const empty = join(dir, 'empty.jpg');
    writeFileSync(empty, '');
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, pngBomb());
    const text = join(dir, 'notes.jpg');
    writeFileSync(text, 'hello');
    const truncated = join(dir, 'truncated.jpg');
    writeFileSync(truncated, readFileSync(A('033066.jpg')).subarray(0, 3000));
    const noFace = join(dir, 'flat.png');
    const { default: sharp } = await import('sharp');
    await sharp({ create: { width: 300, height: 300, channels: 3, background: '#777' } })
      .png()
      .toFile(noFace);
    const photos = [empty, bomb, text, truncated, noFace, TWO_PEOPLE];
    const err = await engine.enroll({ name: 'Nobody' }, photos).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'ENROLL_NO_USABLE_PHOTO' });
    const msg = (err as Error).message;
    expect(msg).toMatch(/empty file/);
    expect(msg).toMatch(/too large/);
    expect(msg).toMatch(/not a readable/);
    expect(msg).toMatch(/damaged or truncated/);
    expect(msg).toMatch(/no face was found/);
    expect(msg).toMatch(/shows 2 faces/);
    expect(counts(engine)).toEqual(before);
  });

  it('warns when a new enrollment looks like an existing member', async () => {
    const r = await engine.enroll({ name: 'Ann again' }, [A('046751.jpg'), A('049942.jpg')]);
    expect(r.warnings.join(' ')).toMatch(new RegExp(`already matches member ${memberId}`));
    engine.deleteMember(r.member_id);
  });

  it('keeps a half-finished enrollment out of the store when a write fails', async () => {
    const before = counts(engine);
    const original = engine.store.vectors.add.bind(engine.store.vectors);
    let calls = 0;
    engine.store.vectors.add = (...args: Parameters<typeof original>) => {
      if (++calls === 2) throw new Error('disk full');
      return original(...args);
    };
    await expect(engine.enroll({ name: 'Half' }, [B('022649.jpg'), B('025694.jpg')])).rejects.toThrow(
      'disk full',
    );
    engine.store.vectors.add = original;
    expect(counts(engine)).toEqual(before);
    // The in-memory index is rebuilt from disk on the next open: nothing of "Half" survives.
    engine.close();
    engine = Engine.open({ dataDir: dir, encryptStore: false });
    expect(engine.store.vectors.count('member')).toBe(4);
  });

  it('deletes a member with every vector and appearance, audited without the name', () => {
    engine.deleteMember(memberId);
    expect(counts(engine)).toMatchObject({ members: 0 });
    expect(
      engine.store.sql.prepare("SELECT COUNT(*) FROM embeddings WHERE person_kind = 'member'").pluck().get(),
    ).toBe(0);
    expect(listAppearances(engine.store.sql).some((a) => a.person_id === memberId)).toBe(false);
    const audit = engine.store.sql.prepare('SELECT action, details FROM audit_log').all() as {
      action: string;
      details: string;
    }[];
    expect(audit.map((a) => a.action)).toContain('member_deleted');
    expect(JSON.stringify(audit)).not.toMatch(/O'Hara/);
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
    expect(() => engine.deleteMember(memberId)).toThrow(/No member with id/);
  });
});
