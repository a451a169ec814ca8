import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { VigilError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { ModelEntry } from './manifest.js';

const require = createRequire(import.meta.url);

export interface ResolvedModel {
  entry: ModelEntry;
  path: string;
  bytes: Uint8Array;
}

/** Folders searched for model files, most specific first. */
export function modelSearchDirs(dataDir?: string): string[] {
  const dirs: string[] = [];
  for (const d of (process.env.VIGIL_MODELS_DIR ?? '').split(delimiter)) if (d) dirs.push(d);
  if (dataDir) dirs.push(join(dataDir, 'models'));
  return dirs;
}

function npmPackageDir(pkg: string): string | undefined {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

function findInDir(dir: string, file: string): string | undefined {
  const direct = join(dir, file);
  if (existsSync(direct)) return direct;
  let children: string[];
  try {
    children = readdirSync(dir);
  } catch {
    return undefined;
  }
  // One level down, so VIGIL_MODELS_DIR can point at a folder of per-family folders.
  for (const c of children) {
    const p = join(dir, c, file);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function locateModel(entry: ModelEntry, dataDir?: string): string | undefined {
  for (const dir of modelSearchDirs(dataDir)) {
    const p = findInDir(dir, entry.file);
    if (p) return p;
  }
  for (const s of entry.sources) {
    if (s.kind === 'bundled') {
      const p = join(packageRoot(), s.path);
      if (existsSync(p)) return p;
      continue;
    }
    if (s.kind !== 'npm') continue;
    const dir = npmPackageDir(s.package);
    if (dir && existsSync(join(dir, s.path))) return join(dir, s.path);
  }
  return undefined;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fixFor(entry: ModelEntry): string {
  if (entry.sources.some((s) => s.kind === 'npm' || s.kind === 'bundled'))
    return 'reinstall the app (npm ci) to restore it';
  if (entry.sources.length > 0) return 'run "npm run models:fetch" for its model pack';
  return 'put the file in a folder named by VIGIL_MODELS_DIR';
}

/** Finds and reads a model file, refusing one whose bytes are not the manifest's. */
export function resolveModel(entry: ModelEntry, dataDir?: string): ResolvedModel {
  const path = locateModel(entry, dataDir);
  if (!path) {
    throw new VigilError(
      'MODEL_MISSING',
      `Model file ${entry.file} (${entry.id}) was not found; ${fixFor(entry)}.`,
    );
  }
  if (statSync(path).size !== entry.bytes) {
    throw new VigilError(
      'MODEL_CHECKSUM',
      `Model file ${path} has ${statSync(path).size} bytes, expected ${entry.bytes}: it is not ${entry.id}; ${fixFor(entry)}.`,
    );
  }
  const bytes = new Uint8Array(readFileSync(path));
  const digest = sha256(bytes);
  if (digest !== entry.sha256) {
    throw new VigilError(
      'MODEL_CHECKSUM',
      `Model file ${path} fails its sha256 check (got ${digest.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…); ${fixFor(entry)}.`,
    );
  }
  return { entry, path, bytes };
}
