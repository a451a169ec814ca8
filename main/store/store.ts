import type Database from 'better-sqlite3';
import { SqliteAlerts } from './alerts.js';
import { SqliteAppearances } from './appearances.js';
import { SqliteAuditLog } from './audit.js';
import { SqliteCameras } from './cameras.js';
import { SqliteConfig } from './config.js';
import { SqliteCrops } from './crops.js';
import { SqliteDashboard } from './dashboard.js';
import { SqliteMembers } from './members.js';
import { SqliteReports } from './reports.js';
import type {
  AlertRepository,
  AppearanceRepository,
  AuditLog,
  CameraRepository,
  ConfigRepository,
  CropRepository,
  DashboardRepository,
  MemberRepository,
  ReportRepository,
  SubjectRepository,
  UnknownRepository,
} from './repositories.js';
import { SqliteSubjects } from './subjects.js';
import { SqliteUnknowns } from './unknowns.js';
import type { VectorStore } from './vectors.js';

/**
 * The data folder's store. Everything above `main/store/` reads and writes rows through the
 * repositories hung on this object (one per aggregate, interfaces in `repositories.ts`), never through
 * SQL of its own, so a second implementation (the shared PostgreSQL store) is a new folder beside this
 * one rather than a rewrite of the callers.
 */
export class Store {
  // --- store-a repositories ---
  readonly audit: AuditLog;
  readonly members: MemberRepository;
  readonly unknowns: UnknownRepository;
  readonly appearances: AppearanceRepository;
  readonly alerts: AlertRepository;
  readonly crops: CropRepository;
  readonly subjects: SubjectRepository;
  readonly reports: ReportRepository;
  readonly dashboard: DashboardRepository;
  readonly cameras: CameraRepository;
  readonly config: ConfigRepository;
  // --- end store-a repositories ---

  constructor(
    /** The SQLite handle: for modules inside `main/store/` only (the dependency rule enforces it). */
    readonly sql: Database.Database,
    readonly vectors: VectorStore,
  ) {
    // --- store-a repositories ---
    this.audit = new SqliteAuditLog(sql);
    this.members = new SqliteMembers(sql);
    this.unknowns = new SqliteUnknowns(sql);
    this.appearances = new SqliteAppearances(sql);
    this.alerts = new SqliteAlerts(sql);
    this.crops = new SqliteCrops(sql);
    this.subjects = new SqliteSubjects(sql);
    this.reports = new SqliteReports(sql);
    this.dashboard = new SqliteDashboard(sql);
    this.cameras = new SqliteCameras(sql);
    this.config = new SqliteConfig(sql);
    // --- end store-a repositories ---
  }

  /**
   * Runs `fn` as one transaction: all of its writes land, or none do. `immediate` takes the write
   * lock at the start (a read-then-write that another process must not interleave); inside another
   * transaction it nests.
   */
  transaction<T>(fn: () => T, mode: 'deferred' | 'immediate' = 'deferred'): T {
    const tx = this.sql.transaction(fn);
    return mode === 'immediate' ? tx.immediate() : tx();
  }

  /** Whether the store is still open (a closed one is left alone by cleanups after a failure). */
  get open(): boolean {
    return this.sql.open;
  }
}
