import type { DashboardSummary, RecentRecognition } from '../../contract/contract.js';
import { packByName } from '../../catalogue/manifest.js';
import { executionProvider } from '../../runtime/session.js';
import { type Handlers } from '../context.js';
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
function recentRecognitions(
  db: Parameters<Handlers['appearances.recent']>[0]['engine']['db'],
  limit: number,
) {
  const rows = db
    .prepare(
      `SELECT a.appearance_id, a.camera_id, a.person_kind, a.person_id, a.first_seen, a.last_seen, a.confidence,
         m.name AS member_name,
         (a.person_kind = 'unknown' AND a.appearance_id = (SELECT MIN(b.appearance_id) FROM appearances b
            WHERE b.person_kind = 'unknown' AND b.person_id = a.person_id)) AS first_of_unknown,
         EXISTS (SELECT 1 FROM unknown_crops k WHERE a.person_kind = 'unknown' AND k.unknown_id = a.person_id) AS has_crop
       FROM appearances a LEFT JOIN members m ON a.person_kind = 'member' AND m.member_id = a.person_id
       WHERE a.source != 'image'
       ORDER BY a.last_seen DESC, a.appearance_id DESC LIMIT ?`,
    )
    .all(limit) as {
    appearance_id: number;
    camera_id: string | null;
    person_kind: 'member' | 'unknown';
    person_id: string;
    first_seen: string;
    last_seen: string;
    confidence: number;
    member_name: string | null;
    first_of_unknown: number;
    has_crop: number;
  }[];
  return rows.map((r): RecentRecognition => ({
    appearance_id: r.appearance_id,
    camera_id: r.camera_id,
    person_kind: r.person_kind,
    person_id: r.person_id,
    name: r.member_name ?? r.person_id,
    similarity: r.first_of_unknown ? null : r.confidence,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
    has_crop: r.has_crop === 1,
  }));
}

export const dashboardHandlers: Pick<Handlers, 'dashboard.summary' | 'system.info' | 'appearances.recent'> = {
  'appearances.recent': (ctx, p) => recentRecognitions(ctx.engine.db, p.limit),
  'dashboard.summary': (ctx, p) => {
    const db = ctx.engine.db;
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const today = start.toISOString();
    start.setDate(start.getDate() - (p.days - 1));
    const rows = db
      .prepare('SELECT person_kind, camera_id, first_seen FROM appearances WHERE first_seen >= ?')
      .all(start.toISOString()) as {
      person_kind: 'member' | 'unknown';
      camera_id: string | null;
      first_seen: string;
    }[];
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
    const count = (sql: string, ...args: string[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const summary: DashboardSummary = {
      days: [...days.values()],
      per_camera: [...perCamera]
        .map(([camera_id, n]) => ({ camera_id, count: n }))
        .sort((a, b) => b.count - a.count),
      busiest_hours: hours,
      totals: {
        members: count('SELECT COUNT(*) AS n FROM members'),
        unknowns_active: count("SELECT COUNT(*) AS n FROM unknown_persons WHERE status = 'active'"),
        alerts_open: count("SELECT COUNT(*) AS n FROM alerts WHERE status = 'open'"),
        appearances_today: count('SELECT COUNT(*) AS n FROM appearances WHERE first_seen >= ?', today),
      },
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
