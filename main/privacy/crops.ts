import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { VigilError } from '../errors.js';
import type { Store } from '../store/store.js';
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
  store: Store,
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
  store.crops.put(
    unknownId,
    {
      key_iv: wrapped.iv,
      key_tag: wrapped.tag,
      wrapped_key: wrapped.data,
      iv: body.iv,
      tag: body.tag,
      ciphertext: body.data,
    },
    now.toISOString(),
    expires,
  );
}

export function readCrop(store: Store, key: MasterKey, unknownId: string): Buffer {
  const row = store.crops.get(unknownId);
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

export function deleteCrop(store: Store, unknownId: string): boolean {
  return store.crops.delete(unknownId);
}

/** A changed retention applies to the crops already kept too: each expires `days` after it was taken. */
export function reapplyRetention(store: Store, days: number): number {
  return store.crops.reapplyRetention(days);
}

/** Deletes every crop past its retention date; returns how many. */
export function purgeExpiredCrops(store: Store, now = new Date()): number {
  return store.crops.purgeExpired(now.toISOString());
}

export function hasCrop(store: Store, unknownId: string): boolean {
  return store.crops.has(unknownId);
}
