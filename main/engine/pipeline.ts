import type { PreviewFrame } from '../contract/contract.js';
import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { EventEmitter } from 'node:events';
import type { Thresholds } from '../decide/bands.js';
import { TrackEvidence, type EmbeddedSample } from '../decide/track-evidence.js';
import {
  bestShot,
  decideMember,
  LIVE_GATE,
  LIVE_TIMING,
  possibleMember,
  POSSIBLE_MEMBER_MARGIN,
  sampleWeight,
  shouldEmbed,
  skipReason,
  strangerReady,
  unknownTemplate,
  type FaceSample,
  type LiveTiming,
  type MemberEvidence,
} from '../decide/track-decision.js';
import { dot } from '../match/similarity.js';
import { log } from '../log.js';
import type { CameraRow } from '../store/cameras.js';
import { learnFromSighting } from './template-update.js';
import type { DiskFullNotice, ResumedNotice, WriteGuard } from '../store/write-guard.js';
import {
  CameraSource,
  type FrameEvent,
  type PreviewImage,
  type PreviewOptions,
} from '../source/camera-source.js';
import { IouTracker, type Track } from '../track/tracker.js';
import { CameraGate, type GateCounts } from '../motion/camera-gate.js';
import { LoadGovernor, reducedTurn } from '../motion/load-governor.js';
import { modelById, packByName } from '../catalogue/manifest.js';
import type { Hwaccel } from '../config/schema.js';
import { InProcessAnalyzer, type Analyzer } from './analyzer.js';
import type { Engine } from './engine.js';
import { cameraStatusEvent, type EngineEvent, type RecognitionEvent, type StatsEvent } from './events.js';
import {
  continueSighting,
  correctToMember,
  extendSighting,
  planUnknownSighting,
  recordDismissedSighting,
  recordMemberSighting,
  recordUnknownSighting,
  type Bbox,
} from './sightings.js';

/** What a visit was decided to be; a member's name is final, a stranger may still turn out a member. */
type Decision =
  | { kind: 'member'; memberId: string; name: string; similarity: number }
  | { kind: 'unknown'; unknownId: string; created: boolean; vectorsAdded: number[]; confidence: number }
  | { kind: 'dismissed'; unknownId: string; similarity: number };

/**
 * One person's continuous presence on one camera: one or more tracks (a track lost and found again
 * within a short gap continues the visit), one identity, one appearance row (a new one only past the
 * maximum visit length). Its evidence is its own, not the tracker's short observation window.
 */
interface Visit {
  cameraId: string;
  decision: Decision | null;
  /** The visit's appearance rows; the last one is open and extended while the visit lasts. */
  appearanceIds: number[];
  firstSeen: number;
  lastSeen: number;
  /** first_seen of the open appearance row, and when its last_seen was last written. */
  openedAt: number;
  extendedAt: number;
  evidence: TrackEvidence;
  /** The frame holding the visit's best face so far, for the unknown's encrypted crop. */
  best: { frame: RgbImage; box: Box; weight: number } | null;
  /** The unknown person this undecided visit resembles so far (a label for the live tiles only). */
  resembles: string | null;
  /** Whether the visit was compared with the camera's recently ended visits (done once, early). */
  linked: boolean;
  /** The decided person's views when decided: later views unlike them mean the tracker swapped people. */
  template: Float32Array | null;
  /** Consecutive later views unlike the template (two make the track a new visit). */
  foreign: EmbeddedSample[];
  /** Frame time of the last view that was still the decided person. */
  sameUntil: number;
}

/** Dismissed unknown persons the engine still recognises (silently), with when their case closed. */
interface DismissedCache {
  loadedAt: number;
  days: number;
  people: { unknownId: string; closedAt: number; vectors: Float32Array[] }[];
}

interface CameraEntry {
  row: CameraRow;
  /** Null for a camera whose frames the caller feeds (analyseFrame). */
  source: CameraSource | null;
  tracker: IouTracker<FaceSample>;
  /** Size and time of the last analysed frame: track boxes are in its pixels. */
  analysed: { width: number; height: number; at: number } | null;
  /** Whether and where each frame is searched for faces (motion gating). */
  gate: CameraGate;
  /** Frames taken so far, and whether the camera runs at a reduced rate (overload). */
  frameNo: number;
  reduced: boolean;
  /** See decodeOf: a change restarts the decoder. */
  decode?: string;
}

/** Console tiles: 2 frames a second, 480 px on the long side. */
export const DEFAULT_PREVIEW: PreviewOptions = { fps: 2, size: 480 };

export interface PipelineOptions {
  ffmpegPath: string;
  analysisFps?: number;
  analysisSize?: number;
  trackIdleMs?: number;
  /** Called after each analysed frame (benchmarks measure frame-to-decision latency with it). */
  onFrameAnalysed?: (
    cameraId: string,
    frameAt: number,
    faces: number,
    /** How the frame was searched: not at all (quiet, or skipped under overload), in regions, whole. */
    searched?: 'quiet' | 'reduced' | 'regions' | 'whole',
  ) => void;
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
  /** Timings of live decisions (tests shorten or lengthen them); see LIVE_TIMING. */
  timing?: Partial<LiveTiming>;
  /** The host's clock for the `at` of events (a benchmark replaying files passes its scene clock). */
  clock?: () => number;
  /** Benchmarks only: file cameras are replayed as fast as analysed, stamped from this scene time on. */
  replayFrom?: (cameraId: string) => number | undefined;
  /** How often dismissed cases are re-read from the store (10 s; tests use 0). */
  dismissedRefreshMs?: number;
  /** Called when a frame is taken for analysis (a benchmark's scene clock follows it). */
  onFrameStart?: (cameraId: string, frameAt: number) => void;
  /** Motion gating (config `motion_gating`, on by default): detect only where something moves. */
  motion?: boolean;
  /** Hardware decoding (config `hwaccel`; a camera's own choice in `camera_capacity` wins). */
  hwaccel?: Hwaccel;
  /** The hardware device for every camera (e.g. /dev/dri/renderD128). */
  hwaccelDevice?: string;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/**
 * Cameras → frames → faces → tracks → per-track decisions → store and events. One source per
 * camera; analysis is awaited frame by frame per camera, and a camera's next frame is dropped
 * (counted) rather than queued while its previous one is still being analysed.
 */
export class Pipeline extends EventEmitter<{ event: [EngineEvent] }> {
  private readonly cameras = new Map<string, CameraEntry>();
  /** The visit of each live track, by camera and track id. */
  private readonly visits = new Map<string, Visit>();
  /** Visits whose track ended recently, per camera: a track found again within the gap continues one. */
  private readonly recent = new Map<string, Visit[]>();
  private dismissedCache: DismissedCache | null = null;
  private readonly timing: LiveTiming;
  private readonly clock: () => number;
  private framesAnalysed = 0;
  private readonly governor = new LoadGovernor();
  private detectorInput: { width: number; height: number } | undefined;
  private facesEmbedded = 0;
  private tracksDiscarded = 0;
  private readonly skipped: Record<string, number> = {};
  private readonly pendingCrops = new Set<Promise<unknown>>();
  /** Every store write of the pipeline goes through it: a full disk stops recording, not recognition. */
  private readonly guard: WriteGuard;
  private readonly onDiskFull = (n: DiskFullNotice) =>
    this.emit('event', systemAlert('system_error', 'high', n.message, n.at));
  private readonly onDiskResumed = (n: ResumedNotice) =>
    this.emit('event', systemAlert('system_recovered', 'low', n.message, n.at));

  constructor(
    private readonly engine: Engine,
    private readonly opts: PipelineOptions,
  ) {
    super();
    this.guard = engine.store.writeGuard();
    if (opts.diskRetryMs !== undefined) this.guard.retryMs = opts.diskRetryMs;
    this.timing = { ...LIVE_TIMING, ...opts.timing };
    this.clock = opts.clock ?? Date.now;
  }

  private analyzer: Analyzer | undefined;

  /** Live settings (the runtime subscribes to the configuration): the next frame uses them. */
  applySettings(s: { tiles?: boolean; motion?: boolean }): void {
    if (s.tiles !== undefined) this.opts.tiles = s.tiles;
    if (s.motion !== undefined) {
      this.opts.motion = s.motion;
      for (const c of this.cameras.values()) c.gate.configure({ enabled: s.motion });
    }
    // Masks apply to the next frame; a new sub-stream or decoder restarts the camera.
    const caps = this.engine.settings.current.camera_capacity;
    for (const [id, c] of this.cameras) {
      c.gate.configure({ masks: caps[id]?.masks ?? [] });
      if (c.source && c.decode !== this.decodeOf(id, c.row)) {
        const row = c.row;
        void this.removeCamera(id).then(() => {
          if (!this.cameras.has(id)) this.addCamera(row);
        });
      }
    }
  }

  /** What a camera's decoder is started with (its stream and hardware decoder). */
  private decodeOf(id: string, row: CameraRow): string {
    const settings = this.engine.settings.current;
    const cap = settings.camera_capacity[id];
    return JSON.stringify([
      cap?.substream_url ?? row.url,
      cap?.hwaccel ?? this.opts.hwaccel ?? settings.hwaccel,
    ]);
  }

  /** Per camera: frames searched whole, in motion regions, or not at all (nothing moved). */
  gateCounts(): Record<string, GateCounts> {
    return Object.fromEntries([...this.cameras].map(([id, c]) => [id, { ...c.gate.counts }]));
  }

  private newGate(cameraId: string): CameraGate {
    this.detectorInput ??= modelById(packByName(this.engine.pack).detector).input;
    const settings = this.engine.settings.current;
    return new CameraGate({
      input: this.detectorInput,
      masks: settings.camera_capacity[cameraId]?.masks ?? [],
      enabled: this.opts.motion ?? settings.motion_gating,
    });
  }

  async start(): Promise<void> {
    this.guard.on('full', this.onDiskFull);
    this.guard.on('resumed', this.onDiskResumed);
    this.analyzer = this.opts.analyzer ?? new InProcessAnalyzer(await this.engine.loadModels());
    // Per-camera thresholds come from the settings held in memory: start from the stored ones.
    this.engine.settings.refresh();
    for (const row of this.engine.store.cameras.list()) if (row.recognition_enabled) this.addCamera(row);
  }

  /** Starts cameras added to the store since and stops removed ones (e.g. by `vigil cameras`). */
  sync(): void {
    this.engine.settings.refresh();
    const rows = this.engine.store.cameras.list();
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

  /**
   * Starts a camera. With `feed`, no decoder is started: the caller hands its frames to
   * analyseFrame() (tests that simulate long scenes on their own clock).
   */
  addCamera(row: CameraRow, opts: { feed?: boolean } = {}): void {
    if (opts.feed) {
      const tracker = new IouTracker<FaceSample>(row.camera_id, { maxIdleMs: this.opts.trackIdleMs ?? 1500 });
      const gate = this.newGate(row.camera_id);
      this.cameras.set(row.camera_id, {
        row,
        source: null,
        tracker,
        analysed: null,
        gate,
        frameNo: 0,
        reduced: false,
      });
      return;
    }
    const startAt = this.opts.replayFrom?.(row.camera_id);
    const settings = this.engine.settings.current;
    const capacity = settings.camera_capacity[row.camera_id];
    const source = new CameraSource({
      cameraId: row.camera_id,
      // A camera's sub-stream, when it names one, is what gets analysed (cheaper to decode).
      url: capacity?.substream_url ?? row.url,
      hwaccel: capacity?.hwaccel ?? this.opts.hwaccel ?? settings.hwaccel,
      hwaccelDevice: this.opts.hwaccelDevice ?? null,
      ffmpegPath: this.opts.ffmpegPath,
      loop: row.loop === 1,
      analysisFps: row.fps ?? this.opts.analysisFps ?? 5,
      analysisSize: this.opts.analysisSize ?? 1280,
      ...(row.url.startsWith('rtsp') ? { rtspTransport: 'udp' as const } : {}),
      preview: this.opts.preview === undefined ? DEFAULT_PREVIEW : this.opts.preview,
      replay: startAt === undefined ? null : { startAt },
    });
    const tracker = new IouTracker<FaceSample>(row.camera_id, { maxIdleMs: this.opts.trackIdleMs ?? 1500 });
    const gate = this.newGate(row.camera_id);
    this.cameras.set(row.camera_id, {
      row,
      source,
      tracker,
      analysed: null,
      gate,
      frameNo: 0,
      reduced: false,
      decode: this.decodeOf(row.camera_id, row),
    });
    source.on('status', (s) =>
      this.emit('event', cameraStatusEvent({ ...s, ...this.analysisOf(row.camera_id) })),
    );
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
    await cam.source?.stop();
    for (const t of cam.tracker.expire(Date.now(), true)) this.finish(t, cam.row);
    this.recent.delete(id);
  }

  /**
   * Analyses one decoded frame of a running camera. Frames normally come from the camera's
   * source; tests feed frames with their own timestamps through here to simulate long scenes.
   */
  async analyseFrame(f: FrameEvent): Promise<void> {
    await this.onFrame(f);
  }

  /** Decoder process ids of the running cameras. */
  decoderPids(): number[] {
    return [...this.cameras.values()].map((c) => c.source?.pid).filter((p): p is number => p !== undefined);
  }

  /** Decoder process ids by camera (metrics read their CPU time). */
  decoders(): { cameraId: string; pid: number }[] {
    return [...this.cameras.entries()].flatMap(([cameraId, c]) =>
      c.source?.pid === undefined ? [] : [{ cameraId, pid: c.source.pid }],
    );
  }

  status() {
    return [...this.cameras.values()].flatMap((c) =>
      c.source ? [{ ...c.source.current, ...this.analysisOf(c.row.camera_id) }] : [],
    );
  }

  /** How a camera is analysed, for its status. */
  private analysisOf(id: string): { analysis: 'full' | 'motion' | 'reduced'; analysisNote: string | null } {
    const c = this.cameras.get(id);
    if (c?.reduced)
      return {
        analysis: 'reduced',
        analysisNote:
          'analysed at half rate while the machine is overloaded (everyone in view is already identified)',
      };
    return {
      analysis: (this.opts.motion ?? this.engine.settings.current.motion_gating) ? 'motion' : 'full',
      analysisNote: null,
    };
  }

  /**
   * Under overload a stable camera (people in view, all already identified) skips every other
   * frame; the camera status says so when that starts and ends.
   */
  private throttled(cam: CameraEntry): boolean {
    const dropped = [...this.cameras.values()].reduce(
      (n, c) => n + (c.source?.current.framesDropped ?? 0),
      0,
    );
    const overloaded = this.governor.observe(dropped, Date.now());
    const active = cam.tracker.active;
    const stable =
      overloaded && active.length > 0 && active.every((t) => !!this.visits.get(this.key(t))?.decision);
    if (stable !== cam.reduced) {
      cam.reduced = stable;
      if (cam.source)
        this.emit(
          'event',
          cameraStatusEvent({ ...cam.source.current, ...this.analysisOf(cam.row.camera_id) }),
        );
    }
    return stable && !reducedTurn(cam.frameNo);
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
    this.opts.onFrameStart?.(f.cameraId, f.at);
    const analyzer = this.analyzer!;
    cam.frameNo++;
    const image = { width: f.width, height: f.height, data: f.data };
    // Motion gating: a still scene with nobody tracked costs no detector call; otherwise only the
    // regions that moved and those of live tracks (moving or not) are searched.
    const plan = cam.gate.decide(
      image,
      cam.tracker.active.map((t) => t.box),
    );
    if (plan.kind === 'quiet' || this.throttled(cam)) {
      this.framesAnalysed++;
      this.opts.onFrameAnalysed?.(f.cameraId, f.at, 0, plan.kind === 'quiet' ? 'quiet' : 'reduced');
      return;
    }
    const moved = await analyzer.locateMoving(
      image,
      // Faces under the live gate's size are tracked and drawn but never embedded: skip their
      // landmarks and alignment (most faces of a CCTV sub-stream are that small).
      {
        retry: false,
        tiles: plan.kind === 'whole' && (this.opts.tiles ?? false),
        minFaceSize: LIVE_GATE.minFaceSize,
        ...(plan.kind === 'regions' ? { regions: plan.regions } : {}),
      },
    );
    const faces = moved.faces;
    const frame = moved.image;
    cam.analysed = { width: frame.width, height: frame.height, at: f.at };
    const { assigned, ended } = cam.tracker.update(
      faces.map((face) => ({ box: face.box, payload: { quality: face.quality, box: face.box, at: f.at } })),
      f.at,
    );
    // Embed only the faces that can still change a decision, in one batch.
    const chosen: { track: Track<FaceSample>; sample: FaceSample; visit: Visit; crop: RgbImage }[] = [];
    assigned.forEach((t, i) => {
      const sample = t.observations[t.observations.length - 1]!.payload;
      const visit = this.visit(t);
      visit.lastSeen = Math.max(visit.lastSeen, t.lastSeen);
      const w = sampleWeight(sample.quality);
      if (!skipReason(sample.quality) && (!visit.best || w > visit.best.weight))
        visit.best = { frame, box: sample.box, weight: w };
      if (
        shouldEmbed(sample.quality, {
          decided: !!visit.decision,
          attempts: visit.evidence.embedded,
          bestEmbeddedWeight: visit.evidence.bestWeight,
          hits: t.hits,
          refreshDue: f.at - visit.evidence.lastEmbedAt >= this.timing.refreshMs,
        })
      ) {
        chosen.push({ track: t, sample, visit, crop: faces[i]!.aligned });
      }
    });
    const vectors = await analyzer.embed(chosen.map((c) => c.crop));
    chosen.forEach((c, i) => (c.sample.embedding = vectors[i]!));
    this.framesAnalysed++;
    this.facesEmbedded += chosen.length;
    this.opts.onFrameAnalysed?.(f.cameraId, f.at, faces.length, plan.kind);
    for (const t of assigned) {
      const reason = skipReason(t.observations[t.observations.length - 1]!.payload.quality);
      if (reason) this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    }
    // Only a track that gained an embedding can reach a new decision.
    for (const c of chosen) this.consider(c.track, cam.row, c.sample as EmbeddedSample);
    for (const t of assigned) this.keepOpen(t, cam.row);
    for (const t of ended) this.finish(t, cam.row);
    this.forgetEnded(cam.row.camera_id, f.at);
  }

  private key(t: Track<FaceSample>): string {
    return `${t.cameraId}:${t.id}`;
  }

  private visit(t: Track<FaceSample>): Visit {
    let v = this.visits.get(this.key(t));
    if (!v) {
      v = {
        cameraId: t.cameraId,
        decision: null,
        appearanceIds: [],
        firstSeen: t.firstSeen,
        lastSeen: t.lastSeen,
        openedAt: t.firstSeen,
        extendedAt: t.lastSeen,
        evidence: new TrackEvidence(),
        best: null,
        resembles: null,
        linked: false,
        template: null,
        foreign: [],
        sameUntil: t.lastSeen,
      };
      this.visits.set(this.key(t), v);
    }
    return v;
  }

  private readonly searchMember = (e: Float32Array) =>
    this.engine.store.vectors.searchPeople('member', e, 1)[0];

  /**
   * A track found again shortly after another ended on the same camera continues that visit when
   * its first faces show the same person: the same member above the recognition threshold, or the
   * same stranger above the unknown threshold. Returns the visit the track now belongs to.
   */
  private link(t: Track<FaceSample>, v: Visit, thresholds: Thresholds): Visit {
    v.linked = true;
    const ended = this.recent.get(t.cameraId);
    if (!ended?.length) return v;
    let best: { prev: Visit; similarity: number } | null = null;
    for (const prev of ended) {
      if (v.firstSeen - prev.lastSeen > this.timing.relinkGapMs) continue;
      let similarity: number;
      if (prev.decision?.kind === 'member') {
        const memberId = prev.decision.memberId;
        const hits = v.evidence.samples.map((s) => this.searchMember(s.embedding));
        const same = hits.filter(
          (m) => m && m.personId === memberId && m.similarity >= thresholds.recognition,
        );
        similarity =
          same.length > 0 && same.length === hits.length ? Math.max(...same.map((m) => m!.similarity)) : -1;
      } else {
        similarity = v.evidence.similarity(prev.evidence);
        if (similarity < thresholds.unknown) similarity = -1;
      }
      if (similarity >= 0 && (!best || similarity > best.similarity)) best = { prev, similarity };
    }
    if (!best) return v;
    const prev = best.prev;
    ended.splice(ended.indexOf(prev), 1);
    prev.evidence.absorb(v.evidence);
    if (v.best && (!prev.best || v.best.weight > prev.best.weight)) prev.best = v.best;
    prev.lastSeen = Math.max(prev.lastSeen, v.lastSeen);
    this.visits.set(this.key(t), prev);
    log('debug', 'visit_continued', { camera: t.cameraId, track: t.id, gap_ms: v.firstSeen - prev.lastSeen });
    return prev;
  }

  /**
   * At the moment a visit is decided: if the same person's visit on this camera ended within the
   * gap (a track broken by a turn of the head or a detector miss, whose first faces were too poor to
   * link it early), the track continues that visit: no second row, no second event.
   */
  private continueRecent(t: Track<FaceSample>, v: Visit, personId: string): Visit | null {
    const ended = this.recent.get(t.cameraId) ?? [];
    // Also a visit whose track the tracker has not given up yet but which has not been seen since
    // this track began: one person is not in two places (a track broken by fast motion).
    const stale = [...this.visits.entries()]
      .filter(([k, x]) => k.startsWith(`${t.cameraId}:`) && x !== v && x.decision && x.lastSeen < v.firstSeen)
      .map(([, x]) => x);
    const prev = [...ended, ...stale].find(
      (p) =>
        v.firstSeen - p.lastSeen <= this.timing.relinkGapMs &&
        (p.decision?.kind === 'member' ? p.decision.memberId : p.decision?.unknownId) === personId,
    );
    if (!prev) return null;
    if (ended.includes(prev)) ended.splice(ended.indexOf(prev), 1);
    prev.evidence.absorb(v.evidence);
    if (v.best && (!prev.best || v.best.weight > prev.best.weight)) prev.best = v.best;
    prev.lastSeen = Math.max(prev.lastSeen, v.lastSeen);
    this.visits.set(this.key(t), prev);
    log('debug', 'visit_continued', { camera: t.cameraId, track: t.id, gap_ms: v.firstSeen - prev.lastSeen });
    return prev;
  }

  /**
   * Decides as soon as the evidence allows: a member is named (and stays named for the visit); a
   * stranger is decided once strangerReady() says so, joining the nearest unknown person or
   * becoming a new one, and may later be corrected to a member by better views of the same visit.
   */
  private consider(t: Track<FaceSample>, row: CameraRow, sample: EmbeddedSample): void {
    const thresholds = this.engine.thresholds(row.camera_id);
    const at = sample.at;
    let v = this.visit(t);
    if (v.decision && v.template) {
      // A decided track is looked at again now and then (see shouldEmbed): two views in a row that
      // are not the decided person mean the tracker has swapped people (two crossed paths). The
      // track becomes a new visit; nothing of the new person is credited to the old one.
      const member = v.decision.kind === 'member' ? v.decision.memberId : null;
      const m = member ? this.searchMember(sample.embedding) : undefined;
      const same =
        dot(sample.embedding, v.template) >= thresholds.unknown ||
        (m !== undefined && m.personId === member && m.similarity >= thresholds.recognition);
      if (same) {
        v.foreign = [];
        v.sameUntil = at;
        v.evidence.add(sample);
      } else {
        v.foreign.push(sample);
        if (v.foreign.length < 2) return;
        v = this.split(t, v, row);
      }
    } else v.evidence.add(sample);
    if (!v.linked && !v.decision) v = this.link(t, v, thresholds);
    if (v.decision?.kind === 'member') return;
    const samples = v.evidence.samples;
    if (samples.length === 0) return;
    const verdict = decideMember(samples, this.searchMember, thresholds);
    if (verdict) {
      if (v.decision) this.correct(t, v, verdict, row, sample);
      else this.nameMember(t, v, verdict, row, sample);
      return;
    }
    if (!v.decision) this.decideStranger(t, v, row, sample, false);
  }

  /** The tracker swapped people: the decided visit ends where it was last its person; the track starts a new one. */
  private split(t: Track<FaceSample>, v: Visit, row: CameraRow): Visit {
    const foreign = v.foreign;
    v.foreign = [];
    v.lastSeen = v.sameUntil;
    const d = v.decision!;
    const open = v.appearanceIds[v.appearanceIds.length - 1];
    if (open !== undefined)
      this.guard.write('appearance_update', () =>
        extendSighting(
          this.engine,
          {
            appearanceId: open,
            kind: d.kind === 'member' ? 'member' : 'unknown',
            personId: d.kind === 'member' ? d.memberId : d.unknownId,
          },
          v.sameUntil,
        ),
      );
    const ended = this.recent.get(row.camera_id) ?? [];
    ended.push(v);
    this.recent.set(row.camera_id, ended);
    this.visits.delete(this.key(t));
    const next = this.visit(t);
    next.firstSeen = foreign[0]!.at;
    next.openedAt = next.firstSeen;
    next.sameUntil = next.lastSeen = t.lastSeen;
    for (const s of foreign) next.evidence.add(s);
    log('info', 'track_switched', { camera: row.camera_id, track: t.id });
    return next;
  }

  private nameMember(
    t: Track<FaceSample>,
    v: Visit,
    verdict: MemberEvidence,
    row: CameraRow,
    sample: EmbeddedSample,
  ): void {
    if (this.continueRecent(t, v, verdict.memberId)) return;
    const at = sample.at;
    const bbox = sample.box.map(Math.round) as Bbox;
    // With the disk full the member is still named on screen; only the log entry is lost (counted).
    const appearanceId = this.guard.write('appearance', () =>
      recordMemberSighting(this.engine, {
        memberId: verdict.memberId,
        cameraId: row.camera_id,
        firstSeen: v.firstSeen,
        lastSeen: v.lastSeen,
        similarity: verdict.similarity,
        bbox,
      }),
    );
    if (appearanceId !== undefined) v.appearanceIds.push(appearanceId);
    v.openedAt = v.firstSeen;
    v.extendedAt = v.lastSeen;
    const name = this.engine.store.members.get(verdict.memberId)?.name ?? verdict.memberId;
    v.decision = { kind: 'member', memberId: verdict.memberId, name, similarity: verdict.similarity };
    v.template = v.evidence.template();
    v.sameUntil = at;
    // A member named from live evidence: the place for anything that learns from their views.
    const shot = (bestShot(v.evidence.samples) as EmbeddedSample | undefined) ?? sample;
    this.guard.write('template_update', () =>
      learnFromSighting(
        this.engine.store,
        {
          memberId: verdict.memberId,
          embedding: shot.embedding,
          quality: shot.quality,
          appearanceId: appearanceId ?? null,
        },
        this.engine.thresholds(row.camera_id),
      ),
    );
    this.emit('event', {
      type: 'recognition',
      camera_id: row.camera_id,
      track_id: t.id,
      kind: 'known_member',
      member_id: verdict.memberId,
      name,
      confidence: round4(verdict.similarity),
      bbox: bbox as RecognitionEvent['bbox'],
      frame_at: at,
      at: this.clock(),
    });
  }

  /**
   * A visit first decided as a stranger turns out to be a member: the appearance moves to the
   * member, what the visit gave the unknown person is taken back, the correction is audited, and
   * the event names the unknown id it corrects (the alert engine resolves its alerts with a note).
   */
  private correct(
    t: Track<FaceSample>,
    v: Visit,
    verdict: MemberEvidence,
    row: CameraRow,
    sample: EmbeddedSample,
  ): void {
    const at = sample.at;
    const was = v.decision as Exclude<Decision, { kind: 'member' }>;
    this.guard.write('correction', () =>
      correctToMember(this.engine, {
        appearanceIds: v.appearanceIds,
        unknownId: was.unknownId,
        created: was.kind === 'unknown' && was.created,
        vectorsAdded: was.kind === 'unknown' ? was.vectorsAdded : [],
        memberId: verdict.memberId,
        similarity: verdict.similarity,
        cameraId: row.camera_id,
        lastSeen: v.lastSeen,
      }),
    );
    const name = this.engine.store.members.get(verdict.memberId)?.name ?? verdict.memberId;
    v.decision = { kind: 'member', memberId: verdict.memberId, name, similarity: verdict.similarity };
    log('info', 'sighting_corrected', {
      camera: row.camera_id,
      from: was.unknownId,
      member: verdict.memberId,
    });
    this.emit('event', {
      type: 'recognition',
      camera_id: row.camera_id,
      track_id: t.id,
      kind: 'known_member',
      member_id: verdict.memberId,
      name,
      confidence: round4(verdict.similarity),
      bbox: sample.box.map(Math.round) as RecognitionEvent['bbox'],
      frame_at: at,
      at: this.clock(),
      corrects: { unknown_id: was.unknownId, since: new Date(v.firstSeen).toISOString() },
    });
  }

  /**
   * Settles who a stranger is: while in view once strangerReady() allows; when the track ends
   * (`atEnd`) with whatever it has (one good face may join a known unknown, not create one).
   * Returns whether a decision was made.
   */
  private decideStranger(
    t: Track<FaceSample>,
    v: Visit,
    row: CameraRow,
    /** The view that completed the evidence (in view), or null when the track has ended. */
    latest: EmbeddedSample | null,
    atEnd: boolean,
  ): boolean {
    const thresholds = this.engine.thresholds(row.camera_id);
    const tpl = unknownTemplate(v.evidence.samples);
    if (!tpl) return false;
    const nearest = this.engine.store.vectors.searchPeople('unknown', tpl.template, 1)[0];
    const closest = possibleMember(tpl.shots, this.searchMember, thresholds, 1);
    if (!atEnd) {
      // Not a member (yet): say on the live tile which stranger this looks like.
      v.resembles = nearest && nearest.similarity >= thresholds.unknown ? nearest.personId : null;
      if (
        !strangerReady(
          tpl.shots,
          closest?.similarity ?? -1,
          v.lastSeen - v.firstSeen,
          thresholds,
          this.timing,
        )
      )
        return false;
    } else if ((!nearest || nearest.similarity < thresholds.unknown) && tpl.shots.length < 2) {
      return false;
    }
    if (nearest && nearest.similarity >= thresholds.unknown && this.continueRecent(t, v, nearest.personId))
      return true;
    const shot = latest ?? tpl.shots[0]!;
    const at = shot.at;
    const bbox = shot.box.map(Math.round) as Bbox;
    const dismissed = this.nearestDismissed(tpl.template, at);
    if (
      dismissed &&
      dismissed.similarity >= thresholds.unknown &&
      dismissed.similarity > (nearest?.similarity ?? -1)
    ) {
      // A stranger the reviewers dismissed: logged under the closed case, without a new id or an alert.
      const id = this.guard.write('unknown_sighting', () =>
        recordDismissedSighting(this.engine, {
          unknownId: dismissed.unknownId,
          cameraId: row.camera_id,
          firstSeen: v.firstSeen,
          lastSeen: v.lastSeen,
          similarity: dismissed.similarity,
          bbox,
        }),
      );
      if (id !== undefined) v.appearanceIds.push(id);
      v.decision = { kind: 'dismissed', unknownId: dismissed.unknownId, similarity: dismissed.similarity };
      v.template = tpl.template;
      v.sameUntil = v.lastSeen;
      v.resembles = dismissed.unknownId;
      v.openedAt = v.firstSeen;
      v.extendedAt = v.lastSeen;
      return true;
    }
    const possible =
      closest && closest.similarity >= thresholds.recognition - POSSIBLE_MEMBER_MARGIN ? closest : null;
    const vectorsAdded: number[] = [];
    const sighting = {
      cameraId: row.camera_id,
      firstSeen: v.firstSeen,
      lastSeen: v.lastSeen,
      bbox,
      shots: tpl.shots.map((s) => ({ embedding: s.embedding, quality: s.quality.score })),
      nearest,
      unknownThreshold: thresholds.unknown,
      possibleMember: possible,
      vectorsAdded,
    };
    const plan = planUnknownSighting(sighting);
    const appearanceId = this.guard.write('unknown_sighting', () =>
      recordUnknownSighting(this.engine, sighting, plan),
    );
    const stored = appearanceId !== undefined;
    if (stored) v.appearanceIds.push(appearanceId);
    v.openedAt = v.firstSeen;
    v.extendedAt = v.lastSeen;
    v.resembles = plan.unknownId;
    v.template = tpl.template;
    v.sameUntil = v.lastSeen;
    v.decision = {
      kind: 'unknown',
      unknownId: plan.unknownId,
      created: stored && plan.kind === 'new_unknown',
      vectorsAdded,
      confidence: plan.confidence,
    };
    const event: RecognitionEvent = {
      type: 'recognition',
      camera_id: row.camera_id,
      track_id: t.id,
      bbox,
      frame_at: at,
      kind: plan.kind,
      unknown_id: plan.unknownId,
      name: plan.unknownId,
      confidence: plan.confidence,
      at: this.clock(),
      ...(possible
        ? {
            possible_member: {
              member_id: possible.memberId,
              name: this.engine.store.members.get(possible.memberId)?.name ?? possible.memberId,
              similarity: round4(possible.similarity),
            },
          }
        : {}),
    };
    this.emit('event', event);
    if (stored && v.best && event.kind === 'new_unknown') {
      const p = this.engine
        .keepCrop(plan.unknownId, v.best.frame, v.best.box)
        .catch((e: unknown) => {
          if (!this.guard.absorb('crop', e)) log('error', 'crop_failed', { error: (e as Error).message });
        })
        .finally(() => this.pendingCrops.delete(p));
      this.pendingCrops.add(p);
    }
    return true;
  }

  /** The closest dismissed unknown person still within its suppression time, if any. */
  private nearestDismissed(
    template: Float32Array,
    at: number,
  ): { unknownId: string; similarity: number } | null {
    const cache = this.loadDismissed();
    let best: { unknownId: string; similarity: number } | null = null;
    for (const p of cache.people) {
      if (at - p.closedAt > cache.days * 86_400_000) continue;
      for (const vec of p.vectors) {
        const s = dot(template, vec);
        if (!best || s > best.similarity) best = { unknownId: p.unknownId, similarity: s };
      }
    }
    return best;
  }

  /**
   * Dismissed cases are read from the store at most every 10 s (a case reopened or dismissed in
   * the console takes effect within that), never per frame.
   */
  private loadDismissed(): DismissedCache {
    const now = Date.now();
    const refresh = this.opts.dismissedRefreshMs ?? 10_000;
    if (this.dismissedCache && now - this.dismissedCache.loadedAt < refresh) return this.dismissedCache;
    const store = this.engine.store;
    const days = store.settings.read('dismissed_suppression_days');
    const rows = store.sightings.dismissedSince(new Date(now - days * 86_400_000).toISOString());
    this.dismissedCache = {
      loadedAt: now,
      days,
      people: rows.map((r) => ({
        unknownId: r.id,
        closedAt: Date.parse(r.closed),
        vectors: store.vectors.vectorsOf('unknown', r.id).map((x) => x.vector),
      })),
    };
    return this.dismissedCache;
  }

  /** While a decided track lasts: its appearance's end is written every few seconds, and split past the maximum age. */
  private keepOpen(t: Track<FaceSample>, row: CameraRow): void {
    const v = this.visits.get(this.key(t));
    const d = v?.decision;
    const open = v?.appearanceIds[v.appearanceIds.length - 1];
    if (!v || !d || open === undefined) return;
    const kind = d.kind === 'member' ? 'member' : 'unknown';
    const personId = d.kind === 'member' ? d.memberId : d.unknownId;
    if (v.lastSeen - v.openedAt >= this.timing.maxVisitMs) {
      this.guard.write('appearance_update', () =>
        extendSighting(this.engine, { appearanceId: open, kind, personId }, v.lastSeen),
      );
      const next = this.guard.write('appearance', () =>
        continueSighting(this.engine, {
          kind,
          personId,
          cameraId: row.camera_id,
          at: v.lastSeen,
          confidence: round4(d.kind === 'unknown' ? d.confidence : d.similarity),
          bbox: t.box.map(Math.round) as Bbox,
        }),
      );
      if (next !== undefined) v.appearanceIds.push(next);
      v.openedAt = v.lastSeen;
      v.extendedAt = v.lastSeen;
    } else if (v.lastSeen - v.extendedAt >= this.timing.extendEveryMs) {
      this.guard.write('appearance_update', () =>
        extendSighting(this.engine, { appearanceId: open, kind, personId }, v.lastSeen),
      );
      v.extendedAt = v.lastSeen;
    }
  }

  /** Ended visits past the gap can no longer be continued. */
  private forgetEnded(cameraId: string, at: number): void {
    const ended = this.recent.get(cameraId);
    if (!ended) return;
    const keep = ended.filter((v) => at - v.lastSeen <= this.timing.relinkGapMs);
    if (keep.length) this.recent.set(cameraId, keep);
    else this.recent.delete(cameraId);
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
        const v = this.visits.get(this.key(t));
        const d = v?.decision;
        const [x1, y1, x2, y2] = t.box;
        faces.push({
          bbox: [Math.round(x1 * sx), Math.round(y1 * sy), Math.round(x2 * sx), Math.round(y2 * sy)],
          ...(d?.kind === 'member'
            ? { label: d.name, kind: 'member' as const }
            : d || v?.resembles
              ? { label: d?.unknownId ?? v!.resembles!, kind: 'unknown' as const }
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

  /**
   * A track ended: a decided visit's appearance gets its final end and the visit waits a short gap
   * for the person to be found again; an undecided one continues a recent visit or is settled now.
   */
  private finish(t: Track<FaceSample>, row: CameraRow): void {
    let v = this.visits.get(this.key(t));
    this.visits.delete(this.key(t));
    if (!v) return;
    if (!v.decision) {
      if (!v.linked && v.evidence.samples.length > 0)
        v = this.link(t, v, this.engine.thresholds(row.camera_id));
      this.visits.set(this.key(t), v);
      if (!v.decision && !this.decideStranger(t, v, row, null, true)) {
        this.visits.delete(this.key(t));
        this.tracksDiscarded++;
        return;
      }
      // Deciding may have continued an earlier visit of the same person.
      v = this.visits.get(this.key(t)) ?? v;
      this.visits.delete(this.key(t));
    }
    if (!v.decision) {
      this.tracksDiscarded++;
      return;
    }
    const open = v.appearanceIds[v.appearanceIds.length - 1];
    const d = v.decision;
    if (open !== undefined && v.lastSeen > v.extendedAt) {
      const visit = v;
      this.guard.write('appearance_update', () =>
        extendSighting(
          this.engine,
          {
            appearanceId: open,
            kind: d.kind === 'member' ? 'member' : 'unknown',
            personId: d.kind === 'member' ? d.memberId : d.unknownId,
          },
          visit.lastSeen,
        ),
      );
      v.extendedAt = v.lastSeen;
    }
    const ended = this.recent.get(t.cameraId) ?? [];
    if (!ended.includes(v)) ended.push(v);
    this.recent.set(t.cameraId, ended);
  }
}

/** An alert about Vigil itself (the disk filled up, or space returned): shown and sent, never stored. */
function systemAlert(
  alertType: 'system_error' | 'system_recovered',
  priority: 'high' | 'low',
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
