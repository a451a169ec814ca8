import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { loadManifest, modelById, packByName, type ModelEntry, type ModelSource } from './manifest.js';
import { locateModel, sha256 } from './resolve.js';
import { readZipEntry } from './zip.js';

export interface Progress {
  file: string;
  received: number;
  total: number | null;
}

export interface FetchOptions {
  dataDir: string;
  acceptNonCommercial?: boolean;
  onProgress?: (p: Progress) => void;
  /** For tests and mirrors: rewrites a source URL before it is fetched. */
  mapUrl?: (url: string) => string;
}

export interface FetchedModel {
  id: string;
  file: string;
  path: string;
  status: 'present' | 'downloaded';
}

/**
 * Downloads url into `dest` through `dest.part`, resuming a previous partial download with a
 * Range request when the server supports it; the final name appears only once complete.
 */
async function download(
  url: string,
  dest: string,
  label: string,
  onProgress?: FetchOptions['onProgress'],
): Promise<void> {
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: 'follow' });
  } catch (e) {
    throw new VigilError(
      'DOWNLOAD_FAILED',
      `Could not reach ${new URL(url).host} to download ${label}: ${(e as Error).message}.`,
    );
  }
  if (res.status === 416 && have > 0) {
    // Already complete on disk.
    renameSync(part, dest);
    return;
  }
  if (!res.ok || !res.body) {
    throw new VigilError(
      'DOWNLOAD_FAILED',
      `Downloading ${label} failed: the server answered ${res.status} ${res.statusText}.`,
    );
  }
  const resumed = res.status === 206 && have > 0;
  const length = Number(res.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length + (resumed ? have : 0) : null;
  let received = resumed ? have : 0;
  const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      onProgress?.({ file: label, received, total });
    }
  } catch (e) {
    throw new VigilError(
      'DOWNLOAD_FAILED',
      `The download of ${label} broke off after ${received} bytes (${(e as Error).message}); run the command again to resume.`,
    );
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
  }
  renameSync(part, dest);
}

async function fetchFromSource(
  entry: ModelEntry,
  source: ModelSource,
  dir: string,
  opts: FetchOptions,
): Promise<string> {
  const dest = join(dir, entry.file);
  const mapUrl = opts.mapUrl ?? ((u: string) => u);
  if (source.kind === 'npm') {
    throw new VigilError(
      'MODEL_MISSING',
      `${entry.file} comes with the npm package ${source.package}; run npm ci to restore it.`,
    );
  }
  if (source.kind === 'bundled') {
    throw new VigilError(
      'MODEL_MISSING',
      `${entry.file} comes with the app (${source.path}); reinstall the app to restore it.`,
    );
  }
  if (source.kind === 'http') {
    await download(mapUrl(source.url), dest, entry.file, opts.onProgress);
  } else {
    const archive = join(dir, basename(new URL(source.url).pathname));
    if (!existsSync(archive)) await download(mapUrl(source.url), archive, basename(archive), opts.onProgress);
    let bytes: Uint8Array | undefined;
    try {
      bytes = readZipEntry(new Uint8Array(readFileSync(archive)), source.entry);
    } catch (e) {
      rmSync(archive, { force: true });
      throw new VigilError(
        'DOWNLOAD_FAILED',
        `${basename(archive)} is not a valid archive (${(e as Error).message}); run the command again.`,
      );
    }
    if (!bytes)
      throw new VigilError('DOWNLOAD_FAILED', `${basename(archive)} does not contain ${source.entry}.`);
    writeFileSync(dest, bytes);
  }
  const digest = sha256(new Uint8Array(readFileSync(dest)));
  if (digest !== entry.sha256) {
    rmSync(dest, { force: true });
    throw new VigilError(
      'MODEL_CHECKSUM',
      `The downloaded ${entry.file} fails its sha256 check (got ${digest.slice(0, 12)}…); it was deleted. Try again or check the source.`,
    );
  }
  return dest;
}

/** Makes one model present and verified, trying its sources in order. */
export async function fetchModel(entry: ModelEntry, opts: FetchOptions): Promise<FetchedModel> {
  const existing = locateModel(entry, opts.dataDir);
  if (existing && sha256(new Uint8Array(readFileSync(existing))) === entry.sha256) {
    return { id: entry.id, file: entry.file, path: existing, status: 'present' };
  }
  const dir = join(opts.dataDir, 'models');
  mkdirSync(dir, { recursive: true });
  const errors: string[] = [];
  for (const source of entry.sources) {
    try {
      const path = await fetchFromSource(entry, source, dir, opts);
      return { id: entry.id, file: entry.file, path, status: 'downloaded' };
    } catch (e) {
      errors.push((e as Error).message);
      log('warn', 'model_source_failed', { model: entry.id, source: source.kind });
    }
  }
  throw new VigilError(
    errors.length ? 'DOWNLOAD_FAILED' : 'MODEL_MISSING',
    errors.length
      ? errors[errors.length - 1]!
      : `${entry.file} has no download source; place it in VIGIL_MODELS_DIR.`,
  );
}

/** Makes every model of a pack present and verified in the data folder's models/ directory. */
export async function fetchPack(pack: string, opts: FetchOptions): Promise<FetchedModel[]> {
  const manifest = loadManifest();
  const p = packByName(pack, manifest);
  if (p.non_commercial && !opts.acceptNonCommercial) {
    throw new VigilError(
      'INVALID_ARGUMENT',
      `The "${pack}" pack is for non-commercial research only (${p.license_note}). Re-run with --accept-non-commercial to download it.`,
    );
  }
  const result: FetchedModel[] = [];
  for (const id of [p.detector, p.landmarks, p.recognizer, p.liveness]) {
    if (!id) continue;
    const entry = modelById(id, manifest);
    result.push(await fetchModel(entry, opts));
  }
  return result;
}
