import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import sharp from 'sharp';
import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { VigilError } from '../errors.js';
import { open, seal, type MasterKey } from './keys.js';

/**
 * One encrypted best-shot crop per unknown person (AES-256-GCM under a random data key, the data
 * key sealed by the master key). Deleting the row shreds the data key, and with secure_delete on
 * its bytes are overwritten in the file.
 */
export async function cropJpeg(frame: RgbImage, box: Box): Promise<Buffer> {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const m = 0.25;
  const left = Math.max(0, Math.floor(box[0] - w * m));
  const top = Math.max(0, Math.floor(box[1] - h * m));
  const right = Math.min(frame.width, Math.ceil(box[2] + w * m));
  const bottom = Math.min(frame.height, Math.ceil(box[3] + h * m));
  return sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), {
    raw: { width: frame.width, height: frame.height, channels: 3 },
  })
    .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export function storeCrop(
  db: Database.Database,
  key: MasterKey,
  unknownId: string,
  jpeg: Buffer,
  retentionDays: number,
  now = new Date(),
): void {
  const dataKey = randomBytes(32);
  const body = seal(dataKey, jpeg, `crop:${unknownId}`);
  const wrapped = seal(key, dataKey, `key:${unknownId}`);
  dataKey.fill(0);
  const expires = new Date(now.getTime() + retentionDays * 86_400_000).toISOString();
  db.prepare(
    `INSERT INTO unknown_crops (unknown_id, key_iv, key_tag, wrapped_key, iv, tag, ciphertext, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (unknown_id) DO UPDATE SET key_iv = excluded.key_iv, key_tag = excluded.key_tag, wrapped_key = excluded.wrapped_key,
       iv = excluded.iv, tag = excluded.tag, ciphertext = excluded.ciphertext, created_at = excluded.created_at, expires_at = excluded.expires_at`,
  ).run(
    unknownId,
    wrapped.iv,
    wrapped.tag,
    wrapped.data,
    body.iv,
    body.tag,
    body.data,
    now.toISOString(),
    expires,
  );
}

interface CropRow {
  key_iv: Buffer;
  key_tag: Buffer;
  wrapped_key: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export function readCrop(db: Database.Database, key: MasterKey, unknownId: string): Buffer {
  const row = db.prepare('SELECT * FROM unknown_crops WHERE unknown_id = ?').get(unknownId) as
    CropRow | undefined;
  if (!row)
    throw new VigilError(
      'NOT_FOUND',
      `No face crop is kept for ${unknownId} (none stored, expired or deleted).`,
    );
  const dataKey = open(key, { iv: row.key_iv, tag: row.key_tag, data: row.wrapped_key }, `key:${unknownId}`);
  try {
    return open(dataKey, { iv: row.iv, tag: row.tag, data: row.ciphertext }, `crop:${unknownId}`);
  } finally {
    dataKey.fill(0);
  }
}

export function deleteCrop(db: Database.Database, unknownId: string): boolean {
  return db.prepare('DELETE FROM unknown_crops WHERE unknown_id = ?').run(unknownId).changes > 0;
}

/** Deletes every crop past its retention date; returns how many. */
/** A changed retention applies to the crops already kept too: each expires `days` after it was taken. */
export function reapplyRetention(db: Database.Database, days: number): number {
  return db
    .prepare(
      "UPDATE unknown_crops SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+' || ? || ' days')",
    )
    .run(days).changes;
}

export function purgeExpiredCrops(db: Database.Database, now = new Date()): number {
  return db.prepare('DELETE FROM unknown_crops WHERE expires_at <= ?').run(now.toISOString()).changes;
}

export function hasCrop(db: Database.Database, unknownId: string): boolean {
  return !!db.prepare('SELECT 1 FROM unknown_crops WHERE unknown_id = ?').get(unknownId);
}
