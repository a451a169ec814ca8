import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asset, describeWithAssets } from '../testing/assets.js';
import { fetchModel, fetchPack, type Progress } from './fetch.js';
import { modelById } from './manifest.js';
import { sha256 } from './resolve.js';

/** A stored (uncompressed) single-entry zip, as release archives of ONNX files often are. */
function storedZip(name: string, data: Buffer): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + n.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + n.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, data, central, n, eocd]);
}

describeWithAssets('model download: progress, resume, archives, checksums', () => {
  const yunet = readFileSync(asset('models', 'yunet', 'face_detection_yunet_2023mar.onnx'));
  const scrfdZip = storedZip(
    'buffalo_s/det_500m.onnx',
    readFileSync(asset('models', 'scrfd', 'det_500m.onnx')),
  );
  let server: Server;
  let base = '';
  /** Set to break the next response off after its first 100 kB, once the client says it has them. */
  let breakNext: Promise<void> | null = null;
  let ranges: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = req.url!.endsWith('.zip')
        ? scrfdZip
        : req.url!.includes('tampered')
          ? Buffer.from(yunet).fill(7, 100, 200)
          : yunet;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range) ranges.push(req.headers.range!);
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { 'content-length': body.length - start });
      if (breakNext) {
        // Cut only once the client has taken the bytes: a cut on a timer races the client's reads, and
        // bytes still queued in its response stream when the socket dies are lost, not half-kept.
        void breakNext.then(() => res.destroy());
        breakNext = null;
        res.write(body.subarray(start, start + 100_000));
        return;
      }
      res.end(body.subarray(start));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server?.close());

  const local = (path: string) => (u: string) => `${base}/${path}/${new URL(u).pathname.split('/').pop()}`;

  it('downloads with progress, resumes a broken download with a Range request, and verifies sha256', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fetch-'));
    const entry = modelById('yunet-2023mar');
    let taken = (): void => undefined;
    breakNext = new Promise<void>((r) => (taken = r));
    ranges = [];
    const progress: Progress[] = [];
    const first = fetchModel(entry, {
      dataDir,
      mapUrl: local('ok'),
      onProgress: (p) => {
        if (p.received >= 100_000) taken();
      },
    });
    await expect(first).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringMatching(/run the command again to resume/),
    });
    const part = join(dataDir, 'models', `${entry.file}.part`);
    expect(statSync(part).size).toBeGreaterThanOrEqual(100_000);
    const got = await fetchModel(entry, {
      dataDir,
      mapUrl: local('ok'),
      onProgress: (p) => progress.push(p),
    });
    expect(got.status).toBe('downloaded');
    expect(ranges).toHaveLength(1);
    expect(sha256(new Uint8Array(readFileSync(got.path)))).toBe(entry.sha256);
    expect(existsSync(part)).toBe(false);
    expect(progress.at(-1)).toMatchObject({ received: entry.bytes, total: entry.bytes });
    expect((await fetchModel(entry, { dataDir, mapUrl: local('ok') })).status).toBe('present');
  });

  it('deletes a download whose checksum does not match', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fetch-'));
    await expect(
      fetchModel(modelById('yunet-2023mar'), { dataDir, mapUrl: local('tampered') }),
    ).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringMatching(/fails its sha256 check/),
    });
    expect(existsSync(join(dataDir, 'models', 'face_detection_yunet_2023mar.onnx'))).toBe(false);
  });

  it('extracts a model from a release archive', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fetch-'));
    const entry = modelById('scrfd-500m');
    const got = await fetchModel(entry, { dataDir, mapUrl: local('zip') });
    expect(sha256(new Uint8Array(readFileSync(got.path)))).toBe(entry.sha256);
  });

  it('asks before downloading a non-commercial pack', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fetch-'));
    await expect(fetchPack('research', { dataDir })).rejects.toThrow(
      /non-commercial research only.*--accept-non-commercial/,
    );
  });
});
