import type Database from 'better-sqlite3';
import { SqliteAlerts } from './alerts.js';
import { SqliteAppearances } from './appearances.js';
import { SqliteAuditLog } from './audit.js';
import { SqliteCameras } from './cameras.js';
import { sqliteSettings } from './config.js';
import { SqliteCrops } from './crops.js';
import { SqliteDashboard } from './dashboard.js';
import { sqliteHealth } from './health.js';
import { sqliteInspection, type StoreInspection } from './inspection.js';
import { SqliteMembers } from './members.js';
import { openDatabase, type OpenOptions } from './open.js';
import { SqliteReports } from './reports.js';
import type {
  AlertRepository,
  AppearanceRepository,
  AuditRepository,
  CameraRepository,
  CropRepository,
  DashboardRepository,
  HealthRepository,
  MemberRepository,
  ReportRepository,
  SessionRepository,
  SettingsRepository,
  SightingRepository,
  SubjectRepository,
  TemplateRepository,
  UnknownRepository,
  UserRepository,
} from './repositories.js';
import { sqliteSessions } from './sessions.js';
import { sqliteSightings } from './sightings.js';
import { SqliteSubjects } from './subjects.js';
import { sqliteTemplates } from './templates.js';
import { SqliteUnknowns } from './unknowns.js';
import { sqliteUsers } from './users.js';
import { VectorStore } from './vectors.js';
import { writeGuard, type WriteGuard } from './write-guard.js';

/**
 * The data folder's store. Everything above `main/store/` reads and writes rows through the
 * repositories hung on this object (one per aggregate, interfaces in `repositories.ts`), never through
 * SQL of its own, so a second implementation (the shared PostgreSQL store) is a new folder beside this
 * one rather than a rewrite of the callers.
 */
export class Store {
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
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly sightings: SightingRepository;
  readonly templates: TemplateRepository;
  readonly settings: SettingsRepository;
  readonly health: HealthRepository;
  /** Read-only consistency questions (the crash harness). */
  readonly inspection: StoreInspection;

  constructor(
    /** The SQLite handle: for modules inside `main/store/` only (the dependency rule enforces it). */
    readonly sql: Database.Database,
    readonly vectors: VectorStore,
  ) {
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
    this.users = sqliteUsers(sql);
    this.sessions = sqliteSessions(sql);
    this.sightings = sqliteSightings(sql);
    this.templates = sqliteTemplates(sql);
    this.settings = sqliteSettings(sql);
    this.health = sqliteHealth(sql);
    this.inspection = sqliteInspection(sql);
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

  /**
   * Opens a data folder's store outside an engine (backup worker, doctor): the database with its
   * search index, or a refusal in a sentence (wrong key, wrong recognizer, unreadable file).
   */
  static open(dataDir: string, opts: OpenOptions): Store {
    const sql = openDatabase(dataDir, opts);
    try {
      return new Store(sql, new VectorStore(sql, opts.embeddingDim));
    } catch (e) {
      sql.close();
      throw e;
    }
  }

  /** The one guard of this store's writes, shared by every writer of the live pipeline (disk full). */
  writeGuard(): WriteGuard {
    return writeGuard(this.sql);
  }

  /** False once closed (timers that outlive the engine check it). */
  get isOpen(): boolean {
    return this.sql.open;
  }

  close(): void {
    this.sql.close();
  }
}
