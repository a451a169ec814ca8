import type { PreviewFrame } from '../contract/contract.js';
import type { RgbImage } from '../decode/image.js';
import type { Box } from '../detect/types.js';
import { EventEmitter } from 'node:events';
import {
  bestShot,
  decideMember,
  LIVE_GATE,
  sampleWeight,
  shouldEmbed,
  skipReason,
  unknownTemplate,
  type FaceSample,
} from '../decide/track-decision.js';
import { log } from '../log.js';
import { listCameras, type CameraRow } from '../store/cameras.js';
import { getMember } from '../store/members.js';
import {
  writeGuard,
  type DiskFullNotice,
  type ResumedNotice,
  type WriteGuard,
} from '../store/write-guard.js';
import {
  CameraSource,
  type FrameEvent,
  type PreviewImage,
  type PreviewOptions,
} from '../source/camera-source.js';
import { IouTracker, type Track } from '../track/tracker.js';
import { InProcessAnalyzer, type Analyzer } from './analyzer.js';
import type { Engine } from './engine.js';
import type { EngineEvent, RecognitionEvent, StatsEvent } from './events.js';
import {
  extendAppearance,
  planUnknownSighting,
  recordMemberSighting,
  recordUnknownSighting,
  type Bbox,
} from './sightings.js';

interface TrackState {
  decided: RecognitionEvent | null;
  appearanceId: number | null;
  /** The frame holding the track's best face so far, for the unknown's encrypted crop. */
  best: { frame: RgbImage; box: Box; weight: number } | null;
  /** Faces of this track embedded so far, and the best weight among them. */
  attempts: number;
  bestEmbeddedWeight: number;
  /** The unknown person this undecided track resembles so far (a label for the live tiles only). */
  resembles: string | null;
}

interface CameraEntry {
  row: CameraRow;
  source: CameraSource;
  tracker: IouTracker<FaceSample>;
  /** Size and time of the last analysed frame: track boxes are in its pixels. */
  analysed: { width: number; height: number; at: number } | null;
}

/** Console tiles: 2 frames a second, 480 px on the long side. */
export const DEFAULT_PREVIEW: PreviewOptions = { fps: 2, size: 480 };

export interface PipelineOptions {
  ffmpegPath: string;
  analysisFps?: number;
  analysisSize?: number;
  trackIdleMs?: number;
  /** Called after each analysed frame (benchmarks measure frame-to-decision latency with it). */
  onFrameAnalysed?: (cameraId: string, frameAt: number, faces: number) => void;
  /**
   * Also search tiles of the frame for small faces (config `detection_tiles`; see tilesFor).
   * bench:small-faces on the 1080p pedestrian clip, default pack: faces of 40 px and up found
   * 86 % → 97 %, at 8 → ~54 ms of detection per frame; off by default, since four 1080p cameras
   * at 5 fps cannot afford it on 2 cores.
   */
  tiles?: boolean;
  /** Where inference runs (an InferencePool in the server); default: this thread. */
  analyzer?: Analyzer;
  /** While the disk is full, how often a write is tried to see whether space returned (10 s). */
  diskRetryMs?: number;
  /** Preview frames for the console tiles (`preview` events); null turns them off. */
  preview?: PreviewOptions | null;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/**
 * Cameras → frames → faces → tracks → per-track decisions → store and events. One source per
 * camera; analysis is awaited frame by frame per camera, and a camera's next frame is dropped
 * (counted) rather than queued while its previous one is still being analysed.
 */
export class Pipeline extends EventEmitter<{ event: [EngineEvent] }> {
  private readonly cameras = new Map<string, CameraEntry>();
  private readonly trackState = new Map<string, TrackState>();
  private framesAnalysed = 0;
  private facesEmbedded = 0;
  private tracksDiscarded = 0;
  private readonly skipped: Record<string, number> = {};
  private readonly pendingCrops = new Set<Promise<unknown>>();
  /** Every store write of the pipeline goes through it: a full disk stops recording, not recognition. */
  private readonly guard: WriteGuard;
  private readonly onDiskFull = (n: DiskFullNotice) =>
    this.emit('event', systemAlert('system_error', 'critical', n.message, n.at));
  private readonly onDiskResumed = (n: ResumedNotice) =>
    this.emit('event', systemAlert('system_recovered', 'low', n.message, n.at));

  constructor(
    private readonly engine: Engine,
    private readonly opts: PipelineOptions,
  ) {
    super();
    this.guard = writeGuard(engine.db);
    if (opts.diskRetryMs !== undefined) this.guard.retryMs = opts.diskRetryMs;
  }

  private analyzer: Analyzer | undefined;

  async start(): Promise<void> {
    this.guard.on('full', this.onDiskFull);
    this.guard.on('resumed', this.onDiskResumed);
    this.analyzer = this.opts.analyzer ?? new InProcessAnalyzer(await this.engine.loadModels());
    for (const row of listCameras(this.engine.db)) if (row.recognition_enabled) this.addCamera(row);
  }

  /** Starts cameras added to the store since and stops removed ones (e.g. by `vigil cameras`). */
  sync(): void {
    const rows = listCameras(this.engine.db);
    for (const row of rows) {
      const running = this.cameras.get(row.camera_id);
      if (running && (running.row.updated_at !== row.updated_at || !row.recognition_enabled)) {
        // Edited (URL, thresholds) or disabled: restart it from the stored row, or leave it off.
        void this.removeCamera(row.camera_id).then(() => {
          if (row.recognition_enabled && !this.cameras.has(row.camera_id)) this.addCamera(row);
        });
      } else if (!running && row.recognition_enabled) this.addCamera(row);
    }
    for (const id of [...this.cameras.keys()])
      if (!rows.some((r) => r.camera_id === id)) void this.removeCamera(id);
  }

  addCamera(row: CameraRow): void {
    const source = new CameraSource({
      cameraId: row.camera_id,
      url: row.url,
      ffmpegPath: this.opts.ffmpegPath,
      loop: row.loop === 1,
      analysisFps: row.fps ?? this.opts.analysisFps ?? 5,
      analysisSize: this.opts.analysisSize ?? 1280,
      ...(row.url.startsWith('rtsp') ? { rtspTransport: 'udp' as const } : {}),
      preview: this.opts.preview === undefined ? DEFAULT_PREVIEW : this.opts.preview,
    });
    const tracker = new IouTracker<FaceSample>(row.camera_id, { maxIdleMs: this.opts.trackIdleMs ?? 1500 });
    this.cameras.set(row.camera_id, { row, source, tracker, analysed: null });
    source.on('status', (s) => this.emit('event', { type: 'camera_status', ...s }));
    source.on('preview', (p) => this.onPreview(p));
    source.on('frame', (f) => {
      this.onFrame(f)
        .catch((e: unknown) =>
          log('error', 'frame_failed', { camera: f.cameraId, error: (e as Error).message }),
        )
        .finally(() => source.release());
    });
    source.start();
  }

  async removeCamera(id: string): Promise<void> {
    const cam = this.cameras.get(id);
    if (!cam) return;
    this.cameras.delete(id);
    await cam.source.stop();
    for (const t of cam.tracker.expire(Date.now(), true)) this.finish(t);
  }

  /** Decoder process ids of the running cameras. */
  decoderPids(): number[] {
    return [...this.cameras.values()].map((c) => c.source.pid).filter((p): p is number => p !== undefined);
  }

  /** Decoder process ids by camera (metrics read their CPU time). */
  decoders(): { cameraId: string; pid: number }[] {
    return [...this.cameras.entries()].flatMap(([cameraId, c]) =>
      c.source.pid === undefined ? [] : [{ cameraId, pid: c.source.pid }],
    );
  }

  status() {
    return [...this.cameras.values()].map((c) => c.source.current);
  }

  stats(): StatsEvent {
    const st = this.status();
    const guard = this.guard.stats();
    return {
      type: 'stats',
      cameras: st.length,
      frames_analysed: this.framesAnalysed,
      faces_embedded: this.facesEmbedded,
      frames_dropped: st.reduce((n, s) => n + s.framesDropped, 0),
      faces_skipped: { ...this.skipped },
      tracks_discarded: this.tracksDiscarded,
      disk_full: guard.disk_full,
      writes_dropped: guard.dropped,
    };
  }

  /** Stops every camera and finalises open tracks, so nothing seen is lost. */
  async stop(): Promise<void> {
    for (const id of [...this.cameras.keys()]) await this.removeCamera(id);
    await Promise.all([...this.pendingCrops]);
    this.guard.off('full', this.onDiskFull);
    this.guard.off('resumed', this.onDiskResumed);
  }

  private async onFrame(f: FrameEvent): Promise<void> {
    const cam = this.cameras.get(f.cameraId);
    if (!cam) return;
    const analyzer = this.analyzer!;
    const moved = await analyzer.locateMoving(
      { width: f.width, height: f.height, data: f.data },
      // Faces under the live gate's size are tracked and drawn but never embedded: skip their
      // landmarks and alignment (most faces of a CCTV sub-stream are that small).
      { retry: false, tiles: this.opts.tiles ?? false, minFaceSize: LIVE_GATE.minFaceSize },
    );
    const faces = moved.faces;
    const frame = moved.image;
    cam.analysed = { width: frame.width, height: frame.height, at: f.at };
    const { assigned, ended } = cam.tracker.update(
      faces.map((face) => ({ box: face.box, payload: { quality: face.quality, box: face.box, at: f.at } })),
      f.at,
    );
    // Embed only the faces that can still change a decision, in one batch.
    const chosen: { track: Track<FaceSample>; sample: FaceSample; st: TrackState; crop: RgbImage }[] = [];
    assigned.forEach((t, i) => {
      const sample = t.observations[t.observations.length - 1]!.payload;
      const st = this.state(t);
      const w = sampleWeight(sample.quality);
      if (!skipReason(sample.quality) && (!st.best || w > st.best.weight))
        st.best = { frame, box: sample.box, weight: w };
      if (
        shouldEmbed(sample.quality, {
          decided: !!st.decided,
          attempts: st.attempts,
          bestEmbeddedWeight: st.bestEmbeddedWeight,
          hits: t.hits,
        })
      ) {
        chosen.push({ track: t, sample, st, crop: faces[i]!.aligned });
      }
    });
    const vectors = await analyzer.embed(chosen.map((c) => c.crop));
    chosen.forEach((c, i) => {
      c.sample.embedding = vectors[i]!;
      c.st.attempts++;
      c.st.bestEmbeddedWeight = Math.max(c.st.bestEmbeddedWeight, sampleWeight(c.sample.quality));
    });
    this.framesAnalysed++;
    this.facesEmbedded += chosen.length;
    this.opts.onFrameAnalysed?.(f.cameraId, f.at, faces.length);
    for (const t of assigned) {
      const reason = skipReason(t.observations[t.observations.length - 1]!.payload.quality);
      if (reason) this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    }
    // Only a track that gained an embedding can reach a new decision.
    for (const c of chosen) this.consider(c.track, cam.row);
    for (const t of ended) this.finish(t);
  }

  private key(t: Track<FaceSample>): string {
    return `${t.cameraId}:${t.id}`;
  }

  private state(t: Track<FaceSample>): TrackState {
    let s = this.trackState.get(this.key(t));
    if (!s) {
      s = {
        decided: null,
        appearanceId: null,
        best: null,
        attempts: 0,
        bestEmbeddedWeight: 0,
        resembles: null,
      };
      this.trackState.set(this.key(t), s);
    }
    return s;
  }

  /** Names a member as soon as the track's evidence allows: a guard wants to know now. */
  private consider(t: Track<FaceSample>, row: CameraRow): void {
    const st = this.state(t);
    const latest = t.observations[t.observations.length - 1]!.payload;
    if (st.decided) return;
    const usable = t.observations.map((o) => o.payload).filter((s) => s.embedding && !skipReason(s.quality));
    if (usable.length === 0) return;
    const thresholds = this.engine.thresholds(row.camera_id);
    const verdict = decideMember(
      usable,
      (e) => this.engine.vectors.searchPeople('member', e, 1)[0],
      thresholds,
    );
    if (!verdict) {
      // Not a member (yet): say on the live tile which stranger this looks like. The stored
      // decision still waits for the track to end (see finish()).
      const tpl = unknownTemplate(usable);
      const near = tpl && this.engine.vectors.searchPeople('unknown', tpl.template, 1)[0];
      st.resembles = near && near.similarity >= thresholds.unknown ? near.personId : null;
      return;
    }
    const shot = bestShot(usable)!;
    const db = this.engine.db;
    // With the disk full the member is still named on screen; only the log entry is lost (counted).
    st.appearanceId =
      this.guard.write('appearance', () =>
        recordMemberSighting(this.engine, {
          memberId: verdict.memberId,
          cameraId: row.camera_id,
          firstSeen: t.firstSeen,
          lastSeen: t.lastSeen,
          similarity: verdict.similarity,
          bbox: shot.box.map(Math.round) as Bbox,
        }),
      ) ?? null;
    st.decided = {
      type: 'recognition',
      camera_id: row.camera_id,
      track_id: t.id,
      kind: 'known_member',
      member_id: verdict.memberId,
      name: getMember(db, verdict.memberId)?.name ?? verdict.memberId,
      confidence: round4(verdict.similarity),
      bbox: shot.box.map(Math.round) as RecognitionEvent['bbox'],
      frame_at: latest.at,
      at: Date.now(),
    };
    this.emit('event', st.decided);
  }

  /**
   * A preview frame with the faces of the camera's current tracks, scaled to its pixels. Built
   * only when someone listens, and emitted at once or not at all: previews are never queued.
   */
  private onPreview(p: PreviewImage): void {
    const cam = this.cameras.get(p.cameraId);
    if (!cam || this.listenerCount('event') === 0) return;
    const faces: PreviewFrame['faces'] = [];
    const a = cam.analysed;
    if (a) {
      const sx = p.width / a.width;
      const sy = p.height / a.height;
      // Tracks seen in the latest analysed frames; one that has just lost its face is left out.
      const recent = a.at - 1000 / Math.max(1, cam.row.fps ?? this.opts.analysisFps ?? 5) - 250;
      for (const t of cam.tracker.active) {
        if (t.lastSeen < recent) continue;
        const st = this.trackState.get(this.key(t));
        const d = st?.decided;
        const [x1, y1, x2, y2] = t.box;
        faces.push({
          bbox: [Math.round(x1 * sx), Math.round(y1 * sy), Math.round(x2 * sx), Math.round(y2 * sy)],
          ...(d?.kind === 'known_member'
            ? { label: d.name, kind: 'member' as const }
            : d || st?.resembles
              ? { label: d?.unknown_id ?? st!.resembles!, kind: 'unknown' as const }
              : { label: '', kind: 'pending' as const }),
        });
      }
    }
    this.emit('event', {
      type: 'preview',
      camera_id: p.cameraId,
      at: p.at,
      width: p.width,
      height: p.height,
      jpeg: p.jpeg.toString('base64'),
      faces,
    });
  }

  /** A track ended: extend a member's appearance, or settle who the stranger was. */
  private finish(t: Track<FaceSample>): void {
    const st = this.state(t);
    this.trackState.delete(this.key(t));
    if (st.decided) {
      const appearanceId = st.appearanceId;
      if (appearanceId !== null)
        this.guard.write('appearance_update', () => extendAppearance(this.engine, appearanceId, t.lastSeen));
      return;
    }
    const cam = this.cameras.get(t.cameraId)?.row;
    const samples = t.observations.map((o) => o.payload);
    const tpl = unknownTemplate(samples);
    if (!tpl) {
      this.tracksDiscarded++;
      return;
    }
    const thresholds = this.engine.thresholds(cam?.camera_id);
    const nearest = this.engine.vectors.searchPeople('unknown', tpl.template, 1)[0];
    const minGood = 2;
    if ((!nearest || nearest.similarity < thresholds.unknown) && tpl.shots.length < minGood) {
      this.tracksDiscarded++;
      return;
    }
    const shot = tpl.shots[0]!;
    const sighting = {
      cameraId: t.cameraId,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
      bbox: shot.box.map(Math.round) as Bbox,
      shots: tpl.shots.map((s) => ({ embedding: s.embedding, quality: s.quality.score })),
      nearest,
      unknownThreshold: thresholds.unknown,
    };
    const plan = planUnknownSighting(sighting);
    const stored =
      this.guard.write('unknown_sighting', () => recordUnknownSighting(this.engine, sighting, plan)) !==
      undefined;
    const event: RecognitionEvent = {
      type: 'recognition',
      camera_id: t.cameraId,
      track_id: t.id,
      bbox: sighting.bbox,
      frame_at: shot.at,
      kind: plan.kind,
      unknown_id: plan.unknownId,
      name: plan.unknownId,
      confidence: plan.confidence,
      at: Date.now(),
    };
    this.emit('event', event);
    if (stored && this.engine.masterKey && st.best && event.kind === 'new_unknown') {
      const p = this.engine
        .keepCrop(plan.unknownId, st.best.frame, st.best.box)
        .catch((e: unknown) => {
          if (!this.guard.absorb('crop', e)) log('error', 'crop_failed', { error: (e as Error).message });
        })
        .finally(() => this.pendingCrops.delete(p));
      this.pendingCrops.add(p);
    }
  }
}

/** An alert about Vigil itself (the disk filled up, or space returned): shown and sent, never stored. */
function systemAlert(
  alertType: 'system_error' | 'system_recovered',
  priority: 'critical' | 'low',
  message: string,
  at: string,
): EngineEvent {
  return {
    type: 'alert',
    alert_type: alertType,
    alert_id: 0,
    priority,
    message,
    camera_id: null,
    person_id: null,
    created_at: at,
  };
}
