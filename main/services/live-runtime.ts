import { runScheduledBackup } from '../backup/schedule.js';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { AlertEngine } from '../notify/alerts.js';
import { channelsFrom } from '../notify/channels.js';
import { findFfmpeg, type FfmpegLocation } from '../source/ffmpeg.js';
import { reapplyRetention } from '../privacy/crops.js';
import type { Settings } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { Engine } from '../engine/engine.js';
import { cameraStatusEvent, type CameraStatusEvent, type EngineEvent } from '../engine/events.js';
import { defaultPool, type InferencePool } from '../engine/inference-pool.js';
import { bufferedWriter } from '../engine/buffered-writer.js';
import { Pipeline } from '../engine/pipeline.js';

export interface RuntimeOptions {
  pack: string;
  dataDir: string;
  /** Every event a console may want: the pipeline's, alerts as they are raised, periodic stats. */
  onEvent: (e: EngineEvent) => void;
  /** An explicit ffmpeg; default: findFfmpeg(). Null runs without cameras (review and enrollment only). */
  ffmpeg?: FfmpegLocation | null;
  /** How often stats are emitted; 5 s like `vigil serve`. */
  statsMs?: number;
  /** Prometheus metrics (`GET /metrics`): the pipeline's analyzer is timed and its frames counted. */
  metrics?: EngineMetrics;
  /** How often a due scheduled backup is looked for (backup_schedule); 15 min. */
  backupCheckMs?: number;
  /** The cameras this process watches (a cluster node's leases); default all. */
  owns?: (cameraId: string) => boolean;
}

export interface Runtime {
  /** Null when ffmpeg is missing: the console still enrolls and reviews, cameras do not run. */
  readonly pipeline: Pipeline | null;
  /** The supervised inference workers (null without ffmpeg). */
  readonly inference: InferencePool | null;
  /** Raises and delivers alerts; subscribed to the live settings. */
  readonly alerts: AlertEngine;
  readonly ffmpeg: FfmpegLocation | null;
  /** The live state of each running camera. */
  cameras(): CameraStatusEvent[];
  /** Alerts not yet acknowledged or resolved, and how many of them are high or critical. */
  openAlerts(): { total: number; urgent: number };
  /** Stops cameras, writes what open tracks saw, flushes alert delivery; the engine stays open. */
  stop(): Promise<void>;
}

/** Alerts not yet acknowledged or resolved, and how many of them are high or critical. */
export function countOpenAlerts(store: Store): { total: number; urgent: number } {
  return store.health.openAlerts();
}

/** Runs one periodic chore; a failing chore is logged and tried again next time, never fatal. */
function every(ms: number, chore: string, fn: () => unknown): NodeJS.Timeout {
  return setInterval(() => {
    try {
      fn();
    } catch (e) {
      log('error', 'runtime_chore_failed', { chore, error: e instanceof Error ? e.message : String(e) });
    }
  }, ms);
}

/**
 * The live side of the engine for the desktop shell: cameras, alerts, retention and merging on
 * their schedules, and the shutdown order that loses nothing (`vigil serve` follows the same one):
 * stop the cameras, which finalises open tracks, merge fragments, then deliver pending alerts.
 */
export async function startRuntime(engine: Engine, opts: RuntimeOptions): Promise<Runtime> {
  const emit = (e: EngineEvent): void => {
    opts.metrics?.observe(e);
    opts.onEvent(e);
  };
  const ffmpeg = opts.ffmpeg === undefined ? (findFfmpeg() ?? null) : opts.ffmpeg;
  const settings = engine.settings;
  // The store may have changed since the engine opened (a CLI write): start from what is stored now.
  settings.refresh();
  const initial = settings.current;
  // Alerts are written as sightings are: kept on this node's disk while the shared store is away.
  const alerts = new AlertEngine(
    engine.store,
    channelsFrom(initial.alert_channels),
    initial.alert_rules,
    Date.now,
    bufferedWriter(engine),
  );
  alerts.on('alert', (a) => emit({ ...a, type: 'alert', alert_type: a.type }));

  let pool: InferencePool | null = null;
  let pipeline: Pipeline | null = null;
  if (ffmpeg) {
    pool = defaultPool(opts.pack, opts.dataDir);
    // A replaced worker is the pool's business; people learn that it happened, once per cooldown.
    pool.on('fault', (f) => alerts.raiseSystemError(`inference:${f.kind}`, f.message));
    const metrics = opts.metrics;
    pipeline = new Pipeline(engine, {
      ffmpegPath: ffmpeg.path,
      analyzer: metrics ? metrics.wrapAnalyzer(pool) : pool,
      tiles: initial.detection_tiles,
      ...(opts.owns ? { owns: opts.owns } : {}),
      ...(metrics ? { onFrameAnalysed: metrics.onFrameAnalysed.bind(metrics) } : {}),
    });
    const running = pool;
    metrics?.attach({
      pipeline,
      queueDepth: () => running.pending,
      indexSize: () => ({
        member: engine.store.vectors.count('member'),
        unknown: engine.store.vectors.count('unknown'),
      }),
      writes: () => {
        const w = bufferedWriter(engine);
        return { recorded: w.recorded, pending: w.pending() };
      },
    });
    pipeline.on('event', (e) => {
      alerts.handle(e);
      // System alerts reach listeners through the alert engine, which stores them first.
      if (e.type !== 'alert') emit(e);
    });
    try {
      await pipeline.start();
    } catch (e) {
      await pool.close();
      alerts.close();
      throw e;
    }
  } else {
    log('warn', 'runtime_no_ffmpeg', {});
  }

  const live = pipeline;
  // Settings changed in the console or by `vigil config set` apply here, without a restart.
  const apply = (next: Settings, _previous: Settings, changed: ReadonlySet<string>): void => {
    if (changed.has('alert_channels') || changed.has('alert_rules'))
      alerts.configure({ channels: channelsFrom(next.alert_channels), rules: next.alert_rules });
    if (changed.has('detection_tiles')) live?.applySettings({ tiles: next.detection_tiles });
    if (changed.has('motion_gating') || changed.has('camera_capacity') || changed.has('hwaccel'))
      live?.applySettings({ motion: next.motion_gating });
    if (changed.has('retention_days')) {
      reapplyRetention(engine.store, next.retention_days);
      engine.purgeExpired();
    }
    // Thresholds and per-camera overrides are read from the settings at each decision; a
    // camera's frame rate or URL restarts it through sync().
    if (changed.has('cameras')) live?.sync();
    log('info', 'settings_applied', { keys: [...changed].join(',') });
  };
  const unsubscribe = settings.subscribe(apply);
  settings.watch(1000);
  let backingUp: Promise<unknown> | null = null;
  const timers = [
    every(3_600_000, 'purge_expired', () => engine.purgeExpired()),
    every(600_000, 'merge_unknowns', () => engine.mergeUnknowns()),
    every(opts.backupCheckMs ?? 900_000, 'scheduled_backup', () => {
      // A shared store is backed up by PostgreSQL's own tools, not by each node.
      if (backingUp || engine.store.dialect === 'postgres') return;
      backingUp = runScheduledBackup(engine, opts.dataDir)
        .catch((e: unknown) =>
          log('error', 'runtime_chore_failed', { chore: 'scheduled_backup', error: describeError(e) }),
        )
        .finally(() => (backingUp = null));
    }),
  ];
  if (live) {
    timers.push(every(2000, 'sync_cameras', () => live.sync()));
    timers.push(
      every(opts.statsMs ?? 5000, 'stats', () => {
        emit(live.stats());
        // Status changes are sent as they happen; fps and last frame are refreshed with the stats.
        for (const c of live.status()) emit(cameraStatusEvent(c));
      }),
    );
  }

  let stopping: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    for (const t of timers) clearInterval(t);
    await backingUp;
    settings.close();
    unsubscribe();
    // Finalise open tracks before anything closes: what was seen is written, not dropped.
    if (live) await live.stop();
    try {
      engine.mergeUnknowns();
    } catch (e) {
      log('error', 'runtime_chore_failed', { chore: 'merge_unknowns', error: (e as Error).message });
    }
    alerts.close();
    await alerts.flush();
    // One last try for writes kept while the shared store was away; what fails stays spooled for the next start.
    try {
      bufferedWriter(engine).flush();
    } catch (e) {
      log('error', 'runtime_chore_failed', { chore: 'store_flush', error: (e as Error).message });
    }
    if (pool) await pool.close();
  };

  return {
    pipeline,
    inference: pool,
    alerts,
    ffmpeg,
    cameras: () => (live ? live.status().map(cameraStatusEvent) : []),
    openAlerts: () => countOpenAlerts(engine.store),
    stop: () => (stopping ??= stop()),
  };
}
