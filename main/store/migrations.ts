import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database, ctx: { embeddingDim: number }): void;
}

/**
 * Versioned schema. Each migration runs in one transaction with the user_version bump, so a
 * crash leaves the store at the previous version, never half-migrated. Append only.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'members, unknowns, embeddings (sqlite-vec), cameras, appearances, alerts, config, audit',
    up(db, { embeddingDim }) {
      db.exec(`
        CREATE TABLE system_config (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE members (
          member_id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          apartment TEXT,
          email TEXT,
          phone TEXT,
          member_type TEXT NOT NULL DEFAULT 'member',
          status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'restricted')),
          watchlist INTEGER NOT NULL DEFAULT 0,
          quality_score REAL,
          recognizer TEXT NOT NULL,
          notes TEXT,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          last_seen TEXT,
          total_appearances INTEGER NOT NULL DEFAULT 0
        ) STRICT;

        CREATE TABLE unknown_persons (
          unknown_id TEXT PRIMARY KEY,
          status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'identified', 'dismissed')),
          first_seen TEXT NOT NULL,
          last_seen TEXT NOT NULL,
          appearance_count INTEGER NOT NULL DEFAULT 1,
          cameras TEXT NOT NULL DEFAULT '[]',
          best_quality REAL,
          recognizer TEXT NOT NULL,
          identified_as TEXT,
          created_at TEXT NOT NULL
        ) STRICT;

        -- One row per stored vector; the vector itself lives in face_vectors under the same id.
        -- code: sign-bit signature used by the in-memory prefilter (see match/binary-index).
        CREATE TABLE embeddings (
          embedding_id INTEGER PRIMARY KEY,
          person_kind TEXT NOT NULL CHECK (person_kind IN ('member', 'unknown')),
          person_id TEXT NOT NULL,
          is_centroid INTEGER NOT NULL DEFAULT 0,
          quality REAL,
          code BLOB NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX embeddings_by_person ON embeddings (person_kind, person_id);

        CREATE VIRTUAL TABLE face_vectors USING vec0(
          embedding_id INTEGER PRIMARY KEY,
          embedding float[${embeddingDim}] distance_metric=cosine,
          kind TEXT,
          active INTEGER,
          +person_id TEXT
        );

        CREATE TABLE cameras (
          camera_id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          location TEXT,
          url TEXT NOT NULL,
          resolution TEXT,
          fps REAL,
          recognition_enabled INTEGER NOT NULL DEFAULT 1,
          recognition_threshold REAL,
          unknown_threshold REAL,
          loop INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE appearances (
          appearance_id INTEGER PRIMARY KEY,
          person_kind TEXT NOT NULL CHECK (person_kind IN ('member', 'unknown')),
          person_id TEXT NOT NULL,
          camera_id TEXT,
          source TEXT NOT NULL,
          first_seen TEXT NOT NULL,
          last_seen TEXT NOT NULL,
          confidence REAL NOT NULL,
          bbox TEXT NOT NULL
        ) STRICT;
        CREATE INDEX appearances_by_person ON appearances (person_kind, person_id);
        CREATE INDEX appearances_by_time ON appearances (first_seen);

        CREATE TABLE alerts (
          alert_id INTEGER PRIMARY KEY,
          type TEXT NOT NULL,
          priority TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'open',
          person_kind TEXT,
          person_id TEXT,
          camera_id TEXT,
          message TEXT NOT NULL,
          created_at TEXT NOT NULL,
          acknowledged_at TEXT,
          acknowledged_by TEXT,
          resolved_at TEXT,
          notes TEXT
        ) STRICT;

        -- Hash-chained: hash = sha256(prev_hash || canonical row), so a changed or removed row shows.
        CREATE TABLE audit_log (
          audit_id INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          subject TEXT,
          details TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    description: 'encrypted best-shot crops of unknown persons',
    up(db) {
      db.exec(`
        -- AES-256-GCM: ciphertext under a random data key; the data key sealed by the master key.
        CREATE TABLE unknown_crops (
          unknown_id TEXT PRIMARY KEY REFERENCES unknown_persons (unknown_id) ON DELETE CASCADE,
          key_iv BLOB NOT NULL,
          key_tag BLOB NOT NULL,
          wrapped_key BLOB NOT NULL,
          iv BLOB NOT NULL,
          tag BLOB NOT NULL,
          ciphertext BLOB NOT NULL,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX unknown_crops_by_expiry ON unknown_crops (expires_at);
      `);
    },
  },
  {
    version: 3,
    description: 'allowed hours per member',
    up(db) {
      // "HH:MM-HH:MM" in local time (may wrap past midnight); NULL: any time.
      db.exec('ALTER TABLE members ADD COLUMN allowed_hours TEXT');
    },
  },
  {
    version: 4,
    description: 'user accounts, login sessions, consent records',
    up(db) {
      db.exec(`
        -- Passwords: scrypt with a per-user salt; failed logins back off (locked_until).
        CREATE TABLE users (
          username TEXT PRIMARY KEY,
          role TEXT NOT NULL CHECK (role IN ('admin', 'security', 'operator', 'viewer', 'kiosk')),
          password_hash TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          last_login TEXT,
          failed_logins INTEGER NOT NULL DEFAULT 0,
          locked_until TEXT
        ) STRICT;

        -- Only a hash of the session token is stored: a copied data folder yields no live session.
        CREATE TABLE sessions (
          token_hash TEXT PRIMARY KEY,
          username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX sessions_by_user ON sessions (username);

        CREATE TABLE consents (
          consent_id INTEGER PRIMARY KEY,
          subject_id TEXT NOT NULL,
          text TEXT NOT NULL,
          method TEXT NOT NULL,
          given_at TEXT NOT NULL,
          given_by TEXT NOT NULL,
          withdrawn_at TEXT
        ) STRICT;
        CREATE INDEX consents_by_subject ON consents (subject_id);
      `);
    },
  },
  {
    version: 5,
    description: 'review notes on unknown persons',
    up(db) {
      // Written by the reviewer when a case is identified or dismissed; may hold names, so never logged.
      db.exec('ALTER TABLE unknown_persons ADD COLUMN notes TEXT');
    },
  },
  {
    version: 6,
    description: 'when an unknown case was closed; possible-member flag on appearances',
    up(db) {
      // closed_at: a dismissed stranger stays recognised (silently) for a configured time after it.
      // possible_member_*: a stranger close below the recognition threshold of one member.
      db.exec(`
        ALTER TABLE unknown_persons ADD COLUMN closed_at TEXT;
        ALTER TABLE appearances ADD COLUMN possible_member_id TEXT;
        ALTER TABLE appearances ADD COLUMN possible_member_similarity REAL;
      `);
    },
  },
  {
    version: 7,
    description: 'member templates learnt from live sightings: origin, retirement, source sighting',
    up(db) {
      // A learnt shot can be undone: the shot it displaced is retired (kept, not matched), not deleted.
      db.exec(`
        ALTER TABLE embeddings ADD COLUMN origin TEXT NOT NULL DEFAULT 'enroll';
        ALTER TABLE embeddings ADD COLUMN retired_at TEXT;
        ALTER TABLE embeddings ADD COLUMN appearance_id INTEGER;
      `);
    },
  },
  {
    version: 8,
    description: 'client-generated operation ids on appearances and alerts (idempotent replay)',
    up(db) {
      // A node that buffered a write while the shared store was away replays it later; when the
      // first attempt had committed but its answer was lost, the op_id finds the row already there.
      db.exec(`
        ALTER TABLE appearances ADD COLUMN op_id TEXT;
        ALTER TABLE alerts ADD COLUMN op_id TEXT;
        CREATE UNIQUE INDEX appearances_by_op ON appearances (op_id) WHERE op_id IS NOT NULL;
        CREATE UNIQUE INDEX alerts_by_op ON alerts (op_id) WHERE op_id IS NOT NULL;
      `);
    },
  },
];
