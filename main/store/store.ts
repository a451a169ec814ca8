import type Database from 'better-sqlite3';
import { SqliteAlerts } from './alerts.js';
import { SqliteAppearances } from './appearances.js';
import { SqliteAuditLog } from './audit.js';
import { SqliteCameras } from './cameras.js';
import { SqliteSettings } from './config.js';
import { SqliteCrops } from './crops.js';
import { SqliteDashboard } from './dashboard.js';
import { SqliteMembers } from './members.js';
import { SqliteReports } from './reports.js';
import type {
  AlertRepository,
  AppearanceRepository,
  AuditRepository,
  CameraRepository,
  SettingsRepository,
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
import { writeGuard, type WriteGuard } from './write-guard.js';

/**
 * The data folder's store. Everything above `main/store/` reads and writes rows through the
 * repositories hung on this object (one per aggregate, interfaces in `repositories.ts`), never through
 * SQL of its own, so a second implementation (the shared PostgreSQL store) is a new folder beside this
 * one rather than a rewrite of the callers.
 */
export class Store {
  // --- store-a repositories ---
  readonly audit: AuditRepository;
  readonly members: MemberRepository;
  readonly unknowns: UnknownRepository;
  readonly appearances: AppearanceRepository;
  readonly alerts: AlertRepository;
  readonly crops: CropRepository;
  readonly subjects: SubjectRepository;
  readonly reports: ReportRepository;
  readonly dashboard: DashboardRepository;
  readonly cameras: CameraRepository;
  /** Stored settings (store-b defines the full SettingsRepository; this is the part store-a's callers use). */
  readonly settings: SettingsRepository;
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
    this.settings = new SqliteSettings(sql);
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

  /** The one guard of this store's writes, shared by every writer of the live pipeline (disk full). */
  writeGuard(): WriteGuard {
    return writeGuard(this.sql);
  }

  /** False once closed (timers that outlive the engine check it). */
  get isOpen(): boolean {
    return this.sql.open;
  }
}
