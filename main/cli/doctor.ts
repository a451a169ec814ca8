import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import { loadManifest, modelById, packByName, param } from '../catalogue/manifest.js';
import { locateModel, resolveModel } from '../catalogue/resolve.js';
import { loadLiveness, loadModels } from '../zoo/zoo.js';
import { gpuProviders, type GpuProviderReport } from '../runtime/gpu.js';
import { executionProvider, threadsPerSession } from '../runtime/session.js';
import { ffmpegCapabilities, findFfmpeg } from '../source/ffmpeg.js';
import { probeHwaccels } from '../source/hwaccel.js';
import { readKeyFile } from '../privacy/key-file.js';
import { storeKeyForReading } from '../privacy/keys.js';
import { DB_FILE } from '../store/open.js';
import type { HealthRepository } from '../store/repositories.js';
import { Store } from '../store/store.js';
import type { GlobalOptions } from './vigil.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** The newest system_error the engine stored, if any. */
type SystemError = ReturnType<HealthRepository['lastSystemError']>;

/** Checks everything an installer would: each model of the pack, the runtime, ffmpeg, the data. */
export async function runDoctor(g: GlobalOptions): Promise<number> {
  const checks: Check[] = [];
  const manifest = loadManifest();
  const pack = packByName(g.pack, manifest);
  // A landmark source may lean on another model where it finds no face (see yunet-landmarks).
  const fallback = pack.landmarks
    ? param<string | undefined>(modelById(pack.landmarks, manifest), 'fallback', undefined)
    : undefined;
  const roles = {
    detector: pack.detector,
    landmarks: pack.landmarks,
    'landmarks fallback': fallback,
    recognizer: pack.recognizer,
    liveness: pack.liveness,
  };
  const models: {
    role: string;
    id: string;
    file: string;
    path: string | null;
    sha256_ok: boolean;
    error?: string;
  }[] = [];
  for (const [role, id] of Object.entries(roles)) {
    if (!id) continue;
    const entry = modelById(id, manifest);
    try {
      const r = resolveModel(entry, g.dataDir);
      models.push({ role, id, file: entry.file, path: r.path, sha256_ok: true });
      checks.push({ name: `model ${role}`, ok: true, detail: `${id}: ${r.path} (sha256 ok)` });
    } catch (e) {
      const path = locateModel(entry, g.dataDir) ?? null;
      models.push({ role, id, file: entry.file, path, sha256_ok: false, error: describeError(e) });
      checks.push({ name: `model ${role}`, ok: false, detail: describeError(e) });
    }
  }
  if (models.every((m) => m.sha256_ok)) {
    try {
      const loaded = await loadModels({ pack: g.pack }, g.dataDir);
      if (pack.liveness) await loadLiveness(modelById(pack.liveness, manifest), g.dataDir);
      await loaded.release();
      checks.push({
        name: 'models load',
        ok: true,
        detail: `all ${models.length} models open in onnxruntime`,
      });
    } catch (e) {
      checks.push({ name: 'models load', ok: false, detail: describeError(e) });
    }
  }
  const ep = executionProvider();
  checks.push({
    name: 'execution provider',
    ok: true,
    detail: `${ep.provider}, ${threadsPerSession()} threads${ep.fallbackReason ? ` (${ep.fallbackReason})` : ''}`,
  });

  // GPU providers, each tried with the pack's detector (a real model, no CPU fallback).
  let gpu: GpuProviderReport[] = [];
  const detector = models.find((m) => m.role === 'detector' && m.sha256_ok && m.path);
  if (detector?.path) {
    gpu = await gpuProviders(new Uint8Array(readFileSync(detector.path)));
    for (const p of gpu)
      checks.push({
        name: `gpu ${p.provider}`,
        // A missing GPU is not a failure: the CPU runs everything, only slower.
        ok: true,
        detail: p.fix ? `${p.detail}; to enable: ${p.fix}` : p.detail,
      });
  }

  const ff = findFfmpeg();
  const caps = ff ? ffmpegCapabilities(ff.path) : null;
  checks.push({
    name: 'ffmpeg',
    ok: !!ff && !!caps?.h264 && !!caps.rtsp,
    detail: ff
      ? `${ff.path} via ${ff.origin}: ${ff.version}; H.264 ${caps?.h264 ? 'yes' : 'no'}, H.265 ${caps?.hevc ? 'yes' : 'no'}, RTSP ${caps?.rtsp ? 'yes' : 'no'}`
      : 'not found: install ffmpeg (e.g. apt-get install ffmpeg) or set VIGIL_FFMPEG',
  });
  if (ff) {
    const hw = probeHwaccels(ff.path);
    const usable = hw.filter((h) => h.usable).map((h) => h.hwaccel);
    checks.push({
      name: 'hardware decoding',
      // Software decoding always works; hardware only lowers the CPU cost per camera.
      ok: true,
      detail: usable.length
        ? `usable: ${usable.join(', ')} (vigil config set hwaccel ${usable[0]}, or auto)`
        : `none usable, cameras decode in software${hw.length ? ` (${hw.map((h) => `${h.hwaccel}: ${h.reason}`).join('; ')})` : ''}`,
    });
  }

  let database: Record<string, unknown> = {
    path: join(g.dataDir, DB_FILE),
    exists: existsSync(join(g.dataDir, DB_FILE)),
  };
  if (database.exists) {
    try {
      accessSync(g.dataDir, constants.W_OK);
      const recognizer = modelById(pack.recognizer, manifest);
      const passphrase = g.passphrase();
      const key = storeKeyForReading(g.dataDir, passphrase ? { passphrase } : {});
      const store = Store.open(g.dataDir, {
        recognizerId: recognizer.id,
        embeddingDim: Number(recognizer.output.size),
        readonly: true,
        key,
      });
      key?.fill(0);
      const integrity = store.health.integrity();
      const audit = store.audit.verify();
      const counts = store.health.counts();
      database = {
        ...database,
        encrypted: key !== null,
        key_source: readKeyFile(g.dataDir)?.source ?? null,
        schema_version: store.health.schemaVersion(),
        integrity,
        audit_chain_ok: audit.ok,
        members: counts.members,
        unknown_persons: counts.unknown_persons,
        embeddings: counts.embeddings,
        last_system_error: store.health.lastSystemError(),
      };
      store.close();
      checks.push({
        name: 'database',
        ok: integrity === 'ok' && audit.ok,
        detail: `integrity ${integrity}, schema v${String(database.schema_version)}, audit chain ${audit.ok ? 'intact' : `broken at row ${audit.firstBad}`}`,
      });
      // What the running engine last reported about itself (worker, decoder, model, disk).
      const last = database.last_system_error as SystemError;
      checks.push({
        name: 'last engine error',
        ok: last?.status !== 'open',
        detail: !last
          ? 'none recorded'
          : `${last.created_at}: ${last.message}` +
            (last.status === 'open'
              ? ` (alert #${last.alert_id} is open; resolve it with "vigil alerts resolve ${last.alert_id}" once fixed)`
              : ` (${last.status})`),
      });
    } catch (e) {
      checks.push({ name: 'database', ok: false, detail: describeError(e) });
    }
  } else {
    checks.push({
      name: 'database',
      ok: true,
      detail: `none yet in ${g.dataDir} (created on first enrollment)`,
    });
  }

  const ok = checks.every((c) => c.ok);
  g.out.result(
    {
      ok,
      pack: g.pack,
      models,
      execution_provider: ep.provider,
      execution_provider_fallback: ep.fallbackReason ?? null,
      gpu_providers: gpu,
      threads: threadsPerSession(),
      ffmpeg: ff ? { path: ff.path, origin: ff.origin, version: ff.version, ...caps } : null,
      data_dir: g.dataDir,
      database,
      checks,
    },
    () => checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(20)} ${c.detail}`).join('\n'),
  );
  return ok ? 0 : 1;
}
