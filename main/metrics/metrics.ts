import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RgbImage } from '../photo/image.js';
import type { LocateOptions } from '../engine/analyze.js';
import type { Analyzer } from '../engine/analyzer.js';
import type { EngineEvent } from '../engine/events.js';
import type { Pipeline } from '../engine/pipeline.js';
import { DB_FILE } from '../store/open.js';

const CAMERA_STATES = ['connecting', 'online', 'offline', 'error', 'disabled'] as const;
/** Seconds; inference on 2 CPU cores runs 5–100 ms a step, a slow first frame up to seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Linux: user + system CPU seconds of a process from /proc (clock ticks at the usual 100 Hz). */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * The engine's Prometheus metrics, in a registry of their own (nothing global, so two engines in
 * one process — tests — never mix). Live values (camera state, fps, drops, store size) are read
 * from the pipeline at scrape time; timings and counts are recorded as they happen.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private pipeline: Pipeline | null = null;
  private queueDepth: () => number = () => 0;
  private indexSize: () => { member: number; unknown: number } = () => ({ member: 0, unknown: 0 });
  private writes: () => { recorded: number; pending: number } = () => ({ recorded: 0, pending: 0 });
  private readonly decoderCpu = new Map<string, number>();

  private readonly inference = new Histogram({
    name: 'vigil_inference_seconds',
    help: 'Time of one inference step (detect: detection + landmarks + alignment of a frame; embed: one batch of faces)',
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly frameLatency = new Histogram({
    name: 'vigil_frame_latency_seconds',
    help: 'From a frame leaving the decoder to its faces being decided (waiting + inference + tracking)',
    labelNames: ['camera'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly facesDetected = new Counter({
    name: 'vigil_faces_detected_total',
    help: 'Faces detected in analysed frames',
    labelNames: ['camera'] as const,
    registers: [this.registry],
  });
  private readonly facesEmbedded = new Counter({
    name: 'vigil_faces_embedded_total',
    help: 'Faces embedded by the recognizer',
    registers: [this.registry],
  });
  private readonly recognitions = new Counter({
    name: 'vigil_recognitions_total',
    help: 'Track decisions by band (known_member, recurring_unknown, new_unknown)',
    labelNames: ['camera', 'band'] as const,
    registers: [this.registry],
  });
  private readonly alerts = new Counter({
    name: 'vigil_alerts_total',
    help: 'Alerts raised, by type and priority',
    labelNames: ['type', 'priority'] as const,
    registers: [this.registry],
  });

  constructor(private readonly dataDir: string) {
    // collect() runs with the metric as `this`; the engine's state is reached through these.
    const status = () => this.pipeline?.status() ?? [];
    const decoders = () => this.pipeline?.decoders() ?? [];
    const decoderCpu = this.decoderCpu;
    const queueDepth = () => this.queueDepth();
    const indexSize = () => this.indexSize();
    const writes = () => this.writes();
    new Counter({
      name: 'vigil_sightings_recorded_total',
      help: 'Appearances this node acknowledged: stored, or kept in its local journal while the store was away',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(writes().recorded);
      },
    });
    new Gauge({
      name: 'vigil_store_buffer_pending',
      help: 'Writes waiting in the local journal for the store to come back (0 while it answers)',
      registers: [this.registry],
      collect() {
        this.set(writes().pending);
      },
    });
    new Gauge({
      name: 'vigil_camera_state',
      help: '1 for the state each camera is in, 0 for the others',
      labelNames: ['camera', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of status())
          for (const st of CAMERA_STATES) this.set({ camera: s.cameraId, state: st }, s.state === st ? 1 : 0);
      },
    });
    new Gauge({
      name: 'vigil_camera_fps',
      help: 'Frames per second handed to analysis, per camera',
      labelNames: ['camera'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of status()) this.set({ camera: s.cameraId }, s.fps);
      },
    });
    // Totals kept by the camera sources themselves: exposed as counters, set at scrape time.
    const sourceCounter = (
      name: string,
      help: string,
      pick: (s: ReturnType<Pipeline['status']>[number]) => number,
    ) =>
      new Counter({
        name,
        help,
        labelNames: ['camera'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of status()) this.inc({ camera: s.cameraId }, pick(s));
        },
      });
    sourceCounter(
      'vigil_frames_decoded_total',
      'Frames decoded at the analysis rate, per camera',
      (s) => s.framesDecoded,
    );
    sourceCounter(
      'vigil_frames_dropped_total',
      'Frames replaced by a newer one before analysis, per camera',
      (s) => s.framesDropped,
    );
    sourceCounter('vigil_camera_reconnects_total', 'Reconnections of the camera stream', (s) => s.reconnects);
    new Counter({
      name: 'vigil_decoder_cpu_seconds_total',
      help: 'CPU time of the ffmpeg decoder of each camera (Linux); per frame: rate of this / rate of frames decoded',
      labelNames: ['camera'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const d of decoders()) {
          const cpu = cpuSeconds(d.pid);
          // A restarted decoder starts from zero: keep the total monotonic per camera.
          if (cpu !== null) decoderCpu.set(`${d.cameraId}:${d.pid}`, cpu);
        }
        const perCamera = new Map<string, number>();
        for (const [k, v] of decoderCpu) {
          const cam = k.slice(0, k.lastIndexOf(':'));
          perCamera.set(cam, (perCamera.get(cam) ?? 0) + v);
        }
        for (const [camera, v] of perCamera) this.inc({ camera }, v);
      },
    });
    new Gauge({
      name: 'vigil_inference_queue_depth',
      help: 'Inference requests waiting in or running on the worker pool',
      registers: [this.registry],
      collect() {
        this.set(queueDepth());
      },
    });
    new Gauge({
      name: 'vigil_index_vectors',
      help: 'Vectors this node matches against, by kind (members, unknown persons): on a cluster, how current its copy of the shared gallery is',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const n = indexSize();
        this.set({ kind: 'member' }, n.member);
        this.set({ kind: 'unknown' }, n.unknown);
      },
    });
    new Gauge({
      name: 'vigil_store_bytes',
      help: 'Size of the store on disk (database and its write-ahead log)',
      registers: [this.registry],
      collect() {
        let n = 0;
        for (const f of [DB_FILE, `${DB_FILE}-wal`]) {
          try {
            n += statSync(join(dataDir, f)).size;
          } catch {
            // No WAL at this moment.
          }
        }
        this.set(n);
      },
    });
  }

  /** Called by the runtime once the pipeline runs. */
  attach(src: {
    pipeline: Pipeline;
    queueDepth: () => number;
    indexSize?: () => { member: number; unknown: number };
    writes?: () => { recorded: number; pending: number };
  }): void {
    this.pipeline = src.pipeline;
    this.queueDepth = src.queueDepth;
    if (src.indexSize) this.indexSize = src.indexSize;
    if (src.writes) this.writes = src.writes;
  }

  /** The analyzer the pipeline uses, timed. */
  wrapAnalyzer(a: Analyzer): Analyzer {
    const time = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
      const end = this.inference.startTimer({ stage });
      try {
        return await fn();
      } finally {
        end();
      }
    };
    return {
      locate: (image: RgbImage, o?: LocateOptions) => time('detect', () => a.locate(image, o)),
      locateMoving: (image: RgbImage, o?: LocateOptions) => time('detect', () => a.locateMoving(image, o)),
      embed: (crops: RgbImage[]) => {
        if (crops.length === 0) return a.embed(crops);
        this.facesEmbedded.inc(crops.length);
        return time('embed', () => a.embed(crops));
      },
      close: () => a.close(),
    };
  }

  onFrameAnalysed(cameraId: string, frameAt: number, faces: number): void {
    this.frameLatency.observe({ camera: cameraId }, Math.max(0, (Date.now() - frameAt) / 1000));
    if (faces > 0) this.facesDetected.inc({ camera: cameraId }, faces);
  }

  /** Every engine event passes here (recognitions and alerts are counted). */
  observe(e: EngineEvent): void {
    if (e.type === 'recognition') this.recognitions.inc({ camera: e.camera_id, band: e.kind });
    else if (e.type === 'alert') this.alerts.inc({ type: e.alert_type, priority: e.priority });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
