import type Database from 'better-sqlite3';
import { SqliteAlerts } from './alerts.js';
import { SqliteAppearances } from './appearances.js';
import { SqliteAuditLog } from './audit.js';
import { SqliteCameras } from './cameras.js';
import { readMeta, sqliteSettings, sqlMeta, writeMeta } from './config.js';
import { SqliteCrops } from './crops.js';
import { SqliteDashboard } from './dashboard.js';
import { sqliteHealth } from './health.js';
import { sqliteInspection, type StoreInspection } from './inspection.js';
import { SqliteMembers } from './members.js';
import type { PostgresLocation } from './locator.js';
import { openDatabase, type OpenOptions } from './open.js';
import { PostgresPort, type BridgeOptions } from './postgres/bridge.js';
import { POSTGRES_SCHEMA_VERSION } from './postgres/schema.js';
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
  MetaRepository,
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
import { dialectOf, sqliteOf, type SqlDialect, type SqlPort } from './sql-port.js';
import { sqliteSightings } from './sightings.js';
import { SqliteSubjects } from './subjects.js';
import { sqliteTemplates } from './templates.js';
import { SqliteUnknowns } from './unknowns.js';
import { sqliteUsers } from './users.js';
import { VectorStore } from './vectors.js';
import { writeGuard, type WriteGuard } from './write-guard.js';
import { VigilError } from '../errors.js';

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
  /** Raw system_config rows by key (cluster-wide key material on the shared store). */
  readonly meta: MetaRepository;
  /** Read-only consistency questions (the crash harness). */
  readonly inspection: StoreInspection;

  constructor(
    /**
     * The SQL port (the better-sqlite3 handle itself, or the shared store's bridge): for modules
     * inside `main/store/` only (the dependency rule enforces it).
     */
    readonly sql: SqlPort,
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
    this.meta = sqlMeta(sql);
  }

  /** Which store this is: the data folder's SQLite, or the shared PostgreSQL. */
  get dialect(): SqlDialect {
    return dialectOf(this.sql);
  }

  /** The better-sqlite3 handle (pragmas, file); refused on the shared store. */
  get sqlite(): Database.Database {
    const db = sqliteOf(this.sql);
    if (!db)
      throw new VigilError('INVALID_ARGUMENT', "This needs the data folder's own store, not the shared one.");
    return db;
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

  /**
   * Joins the shared store: a connection of its own (through the bridge's worker), the schema
   * checked to be initialised and current, the recognizer bound or checked as `Store.open` does for
   * a data folder, and the vector index loaded. Any failure is one sentence.
   */
  static openShared(
    loc: PostgresLocation,
    opts: { recognizerId: string; embeddingDim: number } & BridgeOptions,
  ): Store {
    const port = new PostgresPort(loc, opts);
    try {
      const initialised = port.query("SELECT to_regclass('schema_migrations') IS NOT NULL").rows[0]?.[0];
      const version = initialised
        ? (port.query('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').rows[0]?.[0] as number)
        : 0;
      if (version < POSTGRES_SCHEMA_VERSION)
        throw new VigilError(
          'STORE_CORRUPT',
          version === 0
            ? `The shared store ${loc.display} has no Vigil schema yet: run "vigil store init --store ${loc.display}" first.`
            : `The shared store ${loc.display} is at schema version ${version}, older than this Vigil's ${POSTGRES_SCHEMA_VERSION}: run "vigil store init --store ${loc.display}" to migrate it.`,
        );
      if (version > POSTGRES_SCHEMA_VERSION)
        throw new VigilError(
          'STORE_CORRUPT',
          `The shared store ${loc.display} is at schema version ${version}, newer than this Vigil knows (${POSTGRES_SCHEMA_VERSION}): upgrade Vigil on this machine first.`,
        );
      // Two nodes joining an empty store at once bind it once: the second reads the first's choice.
      port
        .transaction(() => {
          const bound = readMeta(port, 'recognizer');
          if (bound === undefined) {
            writeMeta(port, 'recognizer', opts.recognizerId);
            writeMeta(port, 'embedding_dim', String(opts.embeddingDim));
          } else if (bound !== opts.recognizerId)
            throw new VigilError(
              'STORE_MODEL_MISMATCH',
              `The shared store ${loc.display} holds faces enrolled with recognizer ${bound}, but ${opts.recognizerId} is selected; choose the model pack that uses ${bound} on every node.`,
            );
        })
        .immediate();
      const vectors = new VectorStore(port, opts.embeddingDim);
      port.onImmediate = () => vectors.catchUp();
      port.onRollback = (done) => vectors.rolledBack(done);
      port.onCommit = () => vectors.committed();
      return new Store(port, vectors);
    } catch (e) {
      port.close();
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
