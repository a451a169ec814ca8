import type Database from 'better-sqlite3';
import { sqliteSettings } from './config.js';
import { sqliteHealth } from './health.js';
import { sqliteInspection, type StoreInspection } from './inspection.js';
import { openDatabase, type OpenOptions } from './open.js';
import type {
  AppearanceRepository,
  AuditRepository,
  CameraRepository,
  HealthRepository,
  MemberRepository,
  SessionRepository,
  SettingsRepository,
  SightingRepository,
  TemplateRepository,
  UnknownRepository,
  UserRepository,
} from './repositories.js';
import { sqliteSessions } from './sessions.js';
import {
  sqliteAppearances,
  sqliteAudit,
  sqliteCameras,
  sqliteMembers,
  sqliteUnknowns,
} from './shared-repositories.js';
import { sqliteSightings } from './sightings.js';
import { sqliteTemplates } from './templates.js';
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
  // --- store-b: users, sessions, sightings, templates, settings, meta ---
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly sightings: SightingRepository;
  readonly templates: TemplateRepository;
  readonly settings: SettingsRepository;
  readonly health: HealthRepository;
  /** Read-only consistency questions (the crash harness). */
  readonly inspection: StoreInspection;
  // Shared with store-a, whose declarations and implementations of these win at merge time.
  readonly members: MemberRepository;
  readonly unknowns: UnknownRepository;
  readonly appearances: AppearanceRepository;
  readonly cameras: CameraRepository;
  readonly audit: AuditRepository;

  constructor(
    /** The SQLite handle: for modules inside `main/store/` only (the dependency rule enforces it). */
    readonly sql: Database.Database,
    readonly vectors: VectorStore,
  ) {
    // --- store-b ---
    this.users = sqliteUsers(sql);
    this.sessions = sqliteSessions(sql);
    this.sightings = sqliteSightings(sql);
    this.templates = sqliteTemplates(sql);
    this.settings = sqliteSettings(sql);
    this.health = sqliteHealth(sql);
    this.inspection = sqliteInspection(sql);
    this.members = sqliteMembers(sql);
    this.unknowns = sqliteUnknowns(sql);
    this.appearances = sqliteAppearances(sql);
    this.cameras = sqliteCameras(sql);
    this.audit = sqliteAudit(sql);
  }

  /**
   * Runs `fn` as one transaction: all of its writes land, or none do. 'immediate' takes the write
   * lock at the start, so a writer in another process waits instead of failing half-way.
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
