import { ArcFaceRecognizer } from '../embed/arcface.js';
import { Landmarks68Model } from '../detect/landmarks68.js';
import { ScrfdDetector } from '../detect/scrfd.js';
import type { FaceDetector, LandmarkModel } from '../detect/types.js';
import { UltraFaceDetector } from '../detect/ultraface.js';
import { YuNetDetector } from '../detect/yunet.js';
import { YuNetLandmarks } from '../detect/yunet-landmarks.js';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { MiniFasNetLiveness } from '../liveness/minifasnet.js';
import { flushDenormalWeights, makeBatchDynamic } from '../runtime/onnx-proto.js';
import { createSession } from '../runtime/session.js';
import { loadManifest, modelById, packByName, param, type ModelEntry } from '../catalogue/manifest.js';
import { resolveModel } from '../catalogue/resolve.js';

/** The bytes onnxruntime gets: the verified file, with the manifest's load-time fixes applied. */
export function preparedModelBytes(
  entry: ModelEntry,
  dataDir?: string,
): { bytes: Uint8Array; flushed: number; batchable: boolean } {
  let { bytes } = resolveModel(entry, dataDir);
  let flushed = 0;
  if (param(entry, 'flush_denormals', false)) flushed = flushDenormalWeights(bytes);
  let batchable = entry.input.batch === 0;
  // A fixed-size fully convolutional detector can run on any input size once its graph says so.
  const anySize = param(entry, 'dynamic_input', false);
  if ((!batchable && param(entry, 'dynamic_batch', false)) || anySize) {
    bytes = makeBatchDynamic(bytes, anySize);
    batchable = true;
  }
  return { bytes, flushed, batchable };
}

/** Sessions opened for one LoadedModels, so they can be released together. */
type SessionList = { release(): Promise<void> }[];

async function open(entry: ModelEntry, dataDir?: string, sessions: SessionList = []) {
  const prepared = preparedModelBytes(entry, dataDir);
  try {
    const session = await createSession(prepared.bytes, entry.id);
    sessions.push(session);
    if (prepared.flushed)
      log('debug', 'model_denormals_flushed', { model: entry.id, count: prepared.flushed });
    return { session, batchable: prepared.batchable };
  } catch (e) {
    if (e instanceof VigilError) throw e;
    throw new VigilError('MODEL_INVALID', `Model file ${entry.file} could not be loaded by onnxruntime.`, {
      cause: e,
    });
  }
}

export async function loadDetector(
  entry: ModelEntry,
  dataDir?: string,
  sessions?: SessionList,
): Promise<FaceDetector> {
  const { session } = await open(entry, dataDir, sessions);
  switch (entry.family) {
    case 'ultraface':
      return new UltraFaceDetector(entry, session);
    case 'yunet':
      return new YuNetDetector(entry, session);
    case 'scrfd':
      return new ScrfdDetector(entry, session);
    default:
      throw new VigilError('MODEL_INVALID', `${entry.id} (${entry.family}) is not a face detector.`);
  }
}

export async function loadLandmarks(
  entry: ModelEntry,
  dataDir?: string,
  sessions?: SessionList,
): Promise<LandmarkModel> {
  if (entry.family === 'yunet-landmarks') {
    const fallbackId = param<string | null>(entry, 'fallback', null);
    const fallback = fallbackId ? await loadLandmarks(modelById(fallbackId), dataDir, sessions) : null;
    return new YuNetLandmarks(entry, (await open(entry, dataDir, sessions)).session, fallback);
  }
  if (entry.family !== 'landmarks68')
    throw new VigilError('MODEL_INVALID', `${entry.id} is not a landmark model.`);
  return new Landmarks68Model(entry, (await open(entry, dataDir, sessions)).session);
}

export async function loadRecognizer(
  entry: ModelEntry,
  dataDir?: string,
  flipFusion?: boolean,
  sessions?: SessionList,
): Promise<ArcFaceRecognizer> {
  if (entry.family !== 'arcface')
    throw new VigilError('MODEL_INVALID', `${entry.id} is not a face recognizer.`);
  const { session, batchable } = await open(entry, dataDir, sessions);
  return new ArcFaceRecognizer(entry, session, batchable, flipFusion);
}

export async function loadLiveness(
  entry: ModelEntry,
  dataDir?: string,
  sessions?: SessionList,
): Promise<MiniFasNetLiveness> {
  if (entry.family !== 'minifasnet')
    throw new VigilError('MODEL_INVALID', `${entry.id} is not a liveness model.`);
  return new MiniFasNetLiveness(entry, (await open(entry, dataDir, sessions)).session);
}

export interface ModelSelection {
  pack: string;
  /** Override single roles, e.g. to evaluate another detector with the pack's recognizer. */
  detector?: string;
  recognizer?: string;
  landmarks?: string;
  /** Override the recognizer's flip-fusion setting (for measuring its effect). */
  flipFusion?: boolean;
}

export interface LoadedModels {
  detector: FaceDetector;
  landmarks: LandmarkModel | null;
  recognizer: ArcFaceRecognizer;
  /** Frees the native sessions; the models are unusable afterwards. */
  release(): Promise<void>;
}

export async function loadModels(sel: ModelSelection, dataDir?: string): Promise<LoadedModels> {
  const manifest = loadManifest();
  const pack = packByName(sel.pack, manifest);
  const sessions: SessionList = [];
  const detector = await loadDetector(modelById(sel.detector ?? pack.detector, manifest), dataDir, sessions);
  const landmarkId = sel.landmarks ?? pack.landmarks;
  const landmarks = landmarkId
    ? await loadLandmarks(modelById(landmarkId, manifest), dataDir, sessions)
    : null;
  const recognizer = await loadRecognizer(
    modelById(sel.recognizer ?? pack.recognizer, manifest),
    dataDir,
    sel.flipFusion,
    sessions,
  );
  return {
    detector,
    landmarks,
    recognizer,
    release: async () => {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
