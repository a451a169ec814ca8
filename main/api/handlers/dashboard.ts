import type { DashboardSummary, RecentRecognition } from '../../contract/contract.js';
import { packByName } from '../../catalogue/manifest.js';
import { executionProvider } from '../../runtime/session.js';
import { type ApiContext, type Handlers } from '../context.js';
import { cameraViews } from './cameras.js';

function localDay(d: Date): string {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

/**
 * The latest appearances for the live feed. A stranger's first appearance stores 1 − their best
 * similarity to anyone (see sightings.ts), not a similarity to themselves, so it is given as null.
 */
function recentRecognitions(store: ApiContext['engine']['store'], limit: number) {
  return store.dashboard.recentSightings(limit).map((r): RecentRecognition => ({
    appearance_id: r.appearance_id,
    camera_id: r.camera_id,
    person_kind: r.person_kind,
    person_id: r.person_id,
    name: r.member_name ?? r.person_id,
    similarity: r.first_of_unknown ? null : r.confidence,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
    has_crop: r.has_crop,
  }));
}

export const dashboardHandlers: Pick<Handlers, 'dashboard.summary' | 'system.info' | 'appearances.recent'> = {
  'appearances.recent': (ctx, p) => recentRecognitions(ctx.engine.store, p.limit),
  'dashboard.summary': (ctx, p) => {
    const store = ctx.engine.store;
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const today = start.toISOString();
    start.setDate(start.getDate() - (p.days - 1));
    const rows = store.dashboard.sightingsSince(start.toISOString());
    // Bucketed here in local time: the guard reads "today" and "14:00" in the site's time zone.
    const days = new Map<string, { day: string; known: number; unknown: number }>();
    for (let i = 0; i < p.days; i++) {
      const d = new Date(start);
      d.setDate(start.getDate() + i);
      days.set(localDay(d), { day: localDay(d), known: 0, unknown: 0 });
    }
    const perCamera = new Map<string, number>();
    const hours = new Array<number>(24).fill(0);
    for (const r of rows) {
      const at = new Date(r.first_seen);
      const bucket = days.get(localDay(at));
      if (bucket) bucket[r.person_kind === 'member' ? 'known' : 'unknown']++;
      const cam = r.camera_id ?? 'photos';
      perCamera.set(cam, (perCamera.get(cam) ?? 0) + 1);
      hours[at.getHours()]!++;
    }
    const summary: DashboardSummary = {
      days: [...days.values()],
      per_camera: [...perCamera]
        .map(([camera_id, n]) => ({ camera_id, count: n }))
        .sort((a, b) => b.count - a.count),
      busiest_hours: hours,
      totals: store.dashboard.totals(today),
      cameras: cameraViews(ctx),
    };
    return summary;
  },
  'system.info': (ctx) => ({
    version: ctx.version,
    pack: ctx.pack,
    recognizer: ctx.engine.recognizer.id,
    execution_provider: executionProvider().provider,
    ...(ctx.user && ctx.user.role !== 'kiosk' ? { data_dir: ctx.engine.dataDir } : {}),
    kiosk: ctx.kiosk,
    liveness: Boolean(packByName(ctx.pack).liveness),
  }),
};
