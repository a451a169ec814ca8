import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../errors.js';
import { packageRoot } from '../paths.js';

const source = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('npm'), package: z.string(), version: z.string(), path: z.string() }),
  z.object({ kind: z.literal('http'), url: z.string().url() }),
  z.object({ kind: z.literal('http-zip'), url: z.string().url(), entry: z.string() }),
  /** Committed with the app, under its models/ folder (path relative to the package root). */
  z.object({ kind: z.literal('bundled'), path: z.string() }),
]);

const inputSpec = z.object({
  /** Empty: the model's first input. */
  name: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  layout: z.literal('NCHW'),
  channels: z.enum(['RGB', 'BGR', 'GRAY']),
  /** Pixel value fed to the model: (x - mean) * scale. */
  mean: z.number(),
  scale: z.number(),
  resize: z.enum(['stretch', 'letterbox']).optional(),
  /** 1: the file declares a fixed batch of one; 0: already dynamic. */
  batch: z.number().int().min(0),
  dynamic_size: z.boolean().optional(),
});

const family = z.enum([
  'ultraface',
  'yunet',
  'yunet-landmarks',
  'scrfd',
  'landmarks68',
  'arcface',
  'minifasnet',
]);

const model = z.object({
  id: z.string(),
  family,
  role: z.enum(['detector', 'landmarks', 'recognizer', 'liveness']),
  file: z.string(),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  license: z.string(),
  sources: z.array(source),
  input: inputSpec,
  output: z.record(z.union([z.string(), z.number()])),
  params: z.record(z.unknown()).default({}),
  thresholds: z
    .object({
      recognition: z.number(),
      unknown: z.number(),
      /** How the numbers were obtained. */ source: z.string(),
    })
    .optional(),
});

const pack = z.object({
  title: z.string(),
  license_note: z.string(),
  non_commercial: z.boolean(),
  detector: z.string(),
  landmarks: z.string().optional(),
  recognizer: z.string(),
  liveness: z.string().optional(),
});

const manifestSchema = z.object({
  version: z.literal(1),
  packs: z.record(pack),
  models: z.array(model),
});

export type ModelSource = z.infer<typeof source>;
export type InputSpec = z.infer<typeof inputSpec>;
export type ModelFamily = z.infer<typeof family>;
export type ModelEntry = z.infer<typeof model>;
export type PackEntry = z.infer<typeof pack>;
export type Manifest = z.infer<typeof manifestSchema>;

let cached: Manifest | undefined;

export function loadManifest(path = join(packageRoot(), 'models', 'manifest.json')): Manifest {
  if (cached && path === join(packageRoot(), 'models', 'manifest.json')) return cached;
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new VigilError(
      'MODEL_INVALID',
      `The model manifest ${path} is invalid: ${parsed.error.issues[0]?.message}`,
    );
  }
  const m = parsed.data;
  for (const [name, p] of Object.entries(m.packs)) {
    for (const id of [p.detector, p.landmarks, p.recognizer, p.liveness]) {
      if (id && !m.models.some((x) => x.id === id)) {
        throw new VigilError('MODEL_INVALID', `Model pack "${name}" names unknown model "${id}".`);
      }
    }
  }
  cached = m;
  return m;
}

export function modelById(id: string, manifest = loadManifest()): ModelEntry {
  const m = manifest.models.find((x) => x.id === id);
  if (!m) throw new VigilError('MODEL_INVALID', `No model "${id}" in the model manifest.`);
  return m;
}

export function packByName(name: string, manifest = loadManifest()): PackEntry {
  const p = manifest.packs[name];
  if (!p) {
    const names = Object.keys(manifest.packs).join(', ');
    throw new VigilError('MODEL_PACK_UNKNOWN', `Unknown model pack "${name}". Choose one of: ${names}.`);
  }
  return p;
}

/** Typed access to a model's family-specific parameters. */
export function param<T>(m: ModelEntry, key: string, fallback: T): T {
  const v = m.params[key];
  return v === undefined ? fallback : (v as T);
}
