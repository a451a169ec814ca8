import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, spoolKey } from './spool.js';

interface Rec {
  n: number;
  note: string;
}

const fresh = () => join(mkdtempSync(join(tmpdir(), 'vigil-spool-')), 'spool');
const key = spoolKey(randomBytes(32));
const notes = (s: Spool<Rec>) => s.pending().map((e) => e.record.n);

describe('the spool journal', () => {
  it('creates nothing until the first record, and keeps records in order across a reopen', () => {
    const dir = fresh();
    const a = Spool.open<Rec>(dir, key);
    expect(existsSync(dir)).toBe(false);
    for (let n = 1; n <= 5; n++) expect(a.append({ n, note: `r${n}` }, 'sighting')).toBe(n);
    a.close();
    const b = Spool.open<Rec>(dir, key);
    expect(notes(b)).toEqual([1, 2, 3, 4, 5]);
    expect(b.pending().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    b.close();
  });

  it('writes nothing in clear: a marker and a face vector are not in the file', () => {
    const dir = fresh();
    const s = Spool.open<Rec & { v: string }>(dir, key);
    const marker = 'MARKER-Anne-Dupont-flat-12';
    const vector = Buffer.from(new Float32Array([0.125, -0.5, 0.75, 0.0625]).buffer).toString('base64');
    s.append({ n: 1, note: marker, v: vector }, 'essential');
    s.close();
    const bytes = readFileSync(join(dir, 'journal'));
    expect(bytes.length).toBeGreaterThan(marker.length);
    expect(bytes.includes(Buffer.from(marker))).toBe(false);
    expect(bytes.includes(Buffer.from(vector))).toBe(false);
    expect(bytes.includes(Buffer.from('"note"'))).toBe(false);
    expect(statSync(join(dir, 'journal')).mode & 0o077).toBe(0);
    // The same file opens under its key only: under another it is set aside, not deleted.
    const other = Spool.open<Rec>(dir, spoolKey(randomBytes(32)));
    expect(other.size).toBe(0);
    other.close();
    const aside = readdirSync(dir).find((f) => f.startsWith('journal.unreadable-'))!;
    expect(readFileSync(join(dir, aside))).toEqual(bytes);
  });

  it('drops a torn last record (a kill during an append) and keeps every record before it', () => {
    const dir = fresh();
    const s = Spool.open<Rec>(dir, key);
    for (let n = 1; n <= 4; n++) s.append({ n, note: 'x'.repeat(50) }, 'sighting');
    s.close();
    const file = join(dir, 'journal');
    const whole = statSync(file).size;
    // The 4th record cut short, as a kill in the middle of its write leaves it.
    truncateSync(file, whole - 20);
    const t = Spool.open<Rec>(dir, key);
    expect(notes(t)).toEqual([1, 2, 3]);
    // The torn bytes are gone from the file, and the next record follows the kept ones.
    expect(t.append({ n: 5, note: 'after' }, 'sighting')).toBe(4);
    t.close();
    // A length field cut in half.
    appendFileSync(file, Buffer.from([9, 0]));
    const u = Spool.open<Rec>(dir, key);
    expect(notes(u)).toEqual([1, 2, 3, 5]);
    u.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('journal.'))).toEqual([]);
  });

  it('sets a journal aside, never deletes it, when a whole record in its middle does not open', () => {
    const dir = fresh();
    const s = Spool.open<Rec>(dir, key);
    for (let n = 1; n <= 3; n++) s.append({ n, note: 'z'.repeat(40) }, 'sighting');
    s.close();
    const file = join(dir, 'journal');
    const bytes = readFileSync(file);
    const first = 4 + bytes.readUInt32LE(0);
    // Damage inside the second record's ciphertext.
    bytes[first + 40]! ^= 0xff;
    require_(bytes, file);
    const t = Spool.open<Rec>(dir, key);
    expect(notes(t)).toEqual([1]);
    expect(readdirSync(dir).some((f) => f.startsWith('journal.unreadable-'))).toBe(true);
    t.close();
  });

  it('removes records only when committed, and empties the journal when nothing is left', () => {
    const dir = fresh();
    const s = Spool.open<Rec>(dir, key);
    for (let n = 1; n <= 4; n++) s.append({ n, note: 'c' }, 'sighting');
    s.commit(2);
    expect(notes(s)).toEqual([3, 4]);
    s.close();
    const t = Spool.open<Rec>(dir, key);
    expect(notes(t)).toEqual([3, 4]);
    t.commit(4);
    expect(t.size).toBe(0);
    expect(statSync(join(dir, 'journal')).size).toBe(0);
    // Sequence numbers go on after the committed ones.
    expect(t.append({ n: 9, note: 'c' }, 'sighting')).toBe(5);
    t.close();
    const u = Spool.open<Rec>(dir, key);
    expect(u.pending().map((e) => [e.seq, e.record.n])).toEqual([[5, 9]]);
    u.close();
  });

  it('is bounded: extensions are refused first, then sightings, essential records last', () => {
    const dir = fresh();
    const maxBytes = 20_000;
    const s = Spool.open<Rec>(dir, key, { maxBytes });
    const rec = (n: number) => ({ n, note: 'b'.repeat(400) });
    let n = 0;
    while (s.append(rec(++n), 'extension') !== null);
    const extensionsStopAt = s.bytes;
    expect(extensionsStopAt).toBeLessThanOrEqual(maxBytes * 0.75);
    expect(extensionsStopAt).toBeGreaterThan(maxBytes * 0.7);
    while (s.append(rec(++n), 'sighting') !== null);
    expect(s.bytes).toBeLessThanOrEqual(maxBytes * 0.9);
    expect(s.append(rec(++n), 'extension')).toBeNull();
    while (s.append(rec(++n), 'essential') !== null);
    expect(s.bytes).toBeLessThanOrEqual(maxBytes);
    expect(s.bytes).toBeGreaterThan(maxBytes * 0.95);
    expect(statSync(join(dir, 'journal')).size).toBe(s.bytes);
    // Refused records were not written; committed ones make room again (compaction).
    const kept = s.size;
    s.commit(s.pending()[Math.floor(kept / 2)]!.seq);
    expect(s.append(rec(++n), 'essential')).not.toBeNull();
    expect(statSync(join(dir, 'journal')).size).toBeLessThan(maxBytes * 0.7);
    s.close();
  });
});

/** Writes damaged bytes back over the journal. */
function require_(bytes: Buffer, file: string): void {
  truncateSync(file, 0);
  appendFileSync(file, bytes);
}
