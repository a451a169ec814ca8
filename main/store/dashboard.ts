import type { SqlPort } from './sql-port.js';
import type { DashboardRepository, RecentSighting } from './repositories.js';
import type { PersonKind } from './vectors.js';

/** The counts and latest sightings the dashboard and the live feed show, from one SQLite store. */
export class SqliteDashboard implements DashboardRepository {
  constructor(private readonly db: SqlPort) {}

  totals(todayStart: string): ReturnType<DashboardRepository['totals']> {
    const count = (sql: string, ...args: string[]) => (this.db.prepare(sql).get(...args) as { n: number }).n;
    return {
      members: count('SELECT COUNT(*) AS n FROM members'),
      unknowns_active: count("SELECT COUNT(*) AS n FROM unknown_persons WHERE status = 'active'"),
      alerts_open: count("SELECT COUNT(*) AS n FROM alerts WHERE status = 'open'"),
      appearances_today: count('SELECT COUNT(*) AS n FROM appearances WHERE first_seen >= ?', todayStart),
    };
  }

  sightingsSince(since: string): { person_kind: PersonKind; camera_id: string | null; first_seen: string }[] {
    return this.db
      .prepare('SELECT person_kind, camera_id, first_seen FROM appearances WHERE first_seen >= ?')
      .all(since) as { person_kind: PersonKind; camera_id: string | null; first_seen: string }[];
  }

  sightingsPerCamera(since: string): { camera_id: string | null; n: number }[] {
    return this.db
      .prepare('SELECT camera_id, COUNT(*) AS n FROM appearances WHERE first_seen >= ? GROUP BY camera_id')
      .all(since) as { camera_id: string | null; n: number }[];
  }

  recentSightings(limit: number): RecentSighting[] {
    const rows = this.db
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
      .all(limit) as (Omit<RecentSighting, 'first_of_unknown' | 'has_crop'> & {
      first_of_unknown: number;
      has_crop: number;
    })[];
    return rows.map((r) => ({ ...r, first_of_unknown: !!r.first_of_unknown, has_crop: r.has_crop === 1 }));
  }
}
