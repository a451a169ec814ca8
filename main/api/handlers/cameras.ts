import type { CameraView } from '../../contract/contract.js';
import { VigilError } from '../../errors.js';
import { findFfmpeg } from '../../source/ffmpeg.js';
import { probeCamera } from '../../source/probe.js';
import { addCameraRecord, changeCamera, removeCameraRecord } from '../../services/cameras.js';
import { normaliseCameraUrl, publicCamera } from '../../store/cameras.js';
import type { CameraRow } from '../../store/cameras.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';

function startOfToday(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

/** A stored camera with its live status (from the pipeline when one runs in this process). */
export function cameraViews(
  ctx: ApiContext,
  rows: CameraRow[] = ctx.engine.store.cameras.list(),
): CameraView[] {
  const live = new Map((ctx.pipeline?.status() ?? []).map((s) => [s.cameraId, s]));
  const counts = new Map(
    ctx.engine.store.dashboard.sightingsPerCamera(startOfToday()).map((r) => [r.camera_id, r.n]),
  );
  const cluster = ctx.cluster;
  return rows.map((c) => {
    const pub = publicCamera(c);
    const s = live.get(c.camera_id);
    // In a cluster a camera this node does not watch is shown from its own node's relayed status.
    const remote = !s && cluster ? cluster.remoteCamera(c.camera_id) : null;
    const status =
      cluster && !s
        ? {
            state: remote?.state ?? 'offline',
            reason: remote ? remote.reason : 'no node of the cluster reports this camera yet',
            fps: remote?.fps ?? 0,
            last_frame_at: remote?.last_frame_at ?? null,
            last_error: remote?.last_error ?? null,
            last_error_at: remote?.last_error_at ?? null,
            node: remote?.node ?? null,
          }
        : {
            state: s?.state ?? (ctx.pipeline ? 'connecting' : 'offline'),
            reason: s?.reason ?? (ctx.pipeline ? null : 'the engine is not monitoring cameras'),
            fps: s?.fps ?? 0,
            last_frame_at: s?.lastFrameAt ?? null,
            last_error: s?.lastError ?? null,
            last_error_at: s?.lastErrorAt ?? null,
            ...(cluster ? { node: cluster.node } : {}),
          };
    return {
      camera_id: pub.camera_id,
      name: pub.name,
      location: pub.location,
      url: pub.url,
      recognition_enabled: pub.recognition_enabled,
      recognition_threshold: pub.recognition_threshold,
      unknown_threshold: pub.unknown_threshold,
      ...status,
      state: !pub.recognition_enabled ? 'disabled' : status.state,
      detections_today: counts.get(c.camera_id) ?? 0,
    };
  });
}

function viewOf(ctx: ApiContext, id: string): CameraView {
  const row = ctx.engine.store.cameras.get(id);
  if (!row) throw new VigilError('NOT_FOUND', `No camera with id ${id}.`);
  return cameraViews(ctx, [row])[0]!;
}

export const camerasHandlers: Pick<
  Handlers,
  'cameras.list' | 'cameras.add' | 'cameras.update' | 'cameras.remove' | 'cameras.test'
> = {
  'cameras.list': (ctx) => cameraViews(ctx),
  'cameras.add': (ctx, p) => {
    addCameraRecord(ctx.engine, actorOf(ctx), {
      id: p.id,
      name: p.name,
      url: p.url,
      location: p.location ?? null,
      loop: p.loop ?? false,
      recognitionThreshold: p.recognition_threshold ?? null,
      unknownThreshold: p.unknown_threshold ?? null,
    });
    ctx.pipeline?.sync();
    return viewOf(ctx, p.id);
  },
  'cameras.update': (ctx, p) => {
    const { id, ...changes } = p;
    changeCamera(ctx.engine, actorOf(ctx), id, changes);
    ctx.pipeline?.sync();
    return viewOf(ctx, id);
  },
  'cameras.remove': (ctx, p) => {
    removeCameraRecord(ctx.engine, actorOf(ctx), p.id);
    ctx.pipeline?.sync();
    return { ok: true };
  },
  'cameras.test': async (ctx, p) => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg)
      return { ok: false, message: 'ffmpeg was not found on this machine (apt-get install ffmpeg).' };
    let url: string;
    try {
      url = normaliseCameraUrl(p.url);
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    ctx.engine.store.audit.append({ actor: actorOf(ctx), action: 'camera_tested', details: {} });
    return probeCamera(ffmpeg.path, url);
  },
};
