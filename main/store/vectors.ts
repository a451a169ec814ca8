import { STORE_WRITE_LOCK } from './postgres/locks.js';
import { dialectOf, type SqlPort, type SqlStatement } from './sql-port.js';
import { BinaryCodeIndex } from '../match/binary-index.js';
import { candidateCount } from '../match/search.js';
import { dot } from '../match/similarity.js';

export type PersonKind = 'member' | 'unknown';

export interface PersonMatch {
  kind: PersonKind;
  personId: string;
  similarity: number;
}

interface VectorMeta {
  kind: PersonKind;
  personId: string;
  isCentroid: boolean;
}

const key = (kind: PersonKind, personId: string): string => `${kind}:${personId}`;

const floats = (blob: Buffer): Float32Array =>
  new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));

/**
 * Embeddings of members and unknown persons: floats in the sqlite-vec table (the durable copy),
 * sign-bit codes in memory for the 1:N prefilter. Only active people are in the in-memory index,
 * so restricted members (GDPR restriction) and closed unknown cases are never matched without a second
 * filtering pass. Suspended members stay matchable: seeing one is what raises unauthorized_access.
 *
 * On the shared store (PostgreSQL) the floats are bytea rows and each node also keeps them in
 * memory (a round trip per candidate would cost a search ~50 ms). Every change appends a row to
 * `index_changes` and notifies `vigil_index` in the same transaction; `catchUp` replays the rows
 * another node wrote, person by person, so every node's index follows the store.
 */
export class VectorStore {
  private readonly indexes: Record<PersonKind, BinaryCodeIndex>;
  private readonly meta = new Map<number, VectorMeta>();
  private readonly byPerson = new Map<string, number[]>();
  private readonly getVector: SqlStatement;
  /** The shared store: floats held in memory, and the last change of index_changes replayed. */
  private readonly shared: boolean;
  private readonly floats = new Map<number, Float32Array>();
  private watermark = 0;
  /** People changed by the transaction in progress (shared store): reloaded if it rolls back. */
  private readonly touched = new Map<string, { kind: PersonKind; personId: string }>();

  constructor(
    private readonly db: SqlPort,
    readonly dim: number,
  ) {
    this.indexes = { member: new BinaryCodeIndex(dim), unknown: new BinaryCodeIndex(dim) };
    this.shared = dialectOf(db) === 'postgres';
    this.getVector = db.prepare('SELECT embedding FROM face_vectors WHERE embedding_id = ?').pluck();
    this.load();
  }

  private load(): void {
    // Read first: a change committed while the rows load is replayed once more, never missed.
    if (this.shared)
      this.watermark = this.db
        .prepare('SELECT COALESCE(MAX(seq), 0) FROM index_changes')
        .pluck()
        .get() as number;
    const rows = this.db
      .prepare(
        `SELECT e.embedding_id AS id, e.person_kind AS kind, e.person_id AS personId, e.is_centroid AS isCentroid, e.code AS code${
          this.shared ? ', v.embedding AS embedding' : ''
        }
         FROM embeddings e
         LEFT JOIN members m ON e.person_kind = 'member' AND m.member_id = e.person_id
         LEFT JOIN unknown_persons u ON e.person_kind = 'unknown' AND u.unknown_id = e.person_id${
           this.shared ? '\n         JOIN face_vectors v ON v.embedding_id = e.embedding_id' : ''
         }
         WHERE e.retired_at IS NULL AND ((e.person_kind = 'member' AND m.status IN ('active', 'suspended')) OR (e.person_kind = 'unknown' AND u.status = 'active'))`,
      )
      .iterate() as Iterable<{
      id: number;
      kind: PersonKind;
      personId: string;
      isCentroid: number;
      code: Buffer;
      embedding?: Buffer;
    }>;
    for (const r of rows)
      this.track(
        r.id,
        { kind: r.kind, personId: r.personId, isCentroid: r.isCentroid === 1 },
        r.code,
        r.embedding && floats(r.embedding),
      );
  }

  private track(id: number, m: VectorMeta, code: Uint8Array, vector?: Float32Array): void {
    if (vector) this.floats.set(id, vector);
    this.meta.set(id, m);
    const k = key(m.kind, m.personId);
    const list = this.byPerson.get(k);
    if (list) list.push(id);
    else this.byPerson.set(k, [id]);
    this.indexes[m.kind].upsertCode(id, code);
  }

  /** Writes one vector (call inside the caller's transaction); it is searchable at once. */
  add(
    kind: PersonKind,
    personId: string,
    vector: Float32Array,
    opts: {
      isCentroid?: boolean;
      quality?: number | null;
      /** A member shot learnt from a live sighting (see engine/template-update), and which one. */
      learnt?: { appearanceId: number | null };
    },
  ): number {
    if (vector.length !== this.dim)
      throw new Error(`embedding has ${vector.length} dimensions, store has ${this.dim}`);
    const code = this.indexes[kind].encode(vector);
    const info = this.db
      .prepare(
        'INSERT INTO embeddings (person_kind, person_id, is_centroid, quality, code, created_at, origin, appearance_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        kind,
        personId,
        opts.isCentroid ? 1 : 0,
        opts.quality ?? null,
        Buffer.from(code),
        new Date().toISOString(),
        opts.learnt ? 'sighting' : 'enroll',
        opts.learnt?.appearanceId ?? null,
      );
    const id = Number(info.lastInsertRowid);
    this.db
      .prepare(
        'INSERT INTO face_vectors (embedding_id, embedding, kind, active, person_id) VALUES (?, ?, ?, 1, ?)',
      )
      .run(BigInt(id), Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), kind, personId);
    this.track(
      id,
      { kind, personId, isCentroid: !!opts.isCentroid },
      code,
      this.shared ? vector.slice() : undefined,
    );
    this.changed(kind, personId);
    return id;
  }

  /**
   * On the shared store: records that a person's vectors changed and tells the other nodes, in the
   * caller's transaction (or one of its own). The lock makes the log's numbers follow commit order,
   * so a node that has read up to one number never misses an earlier one committed later.
   */
  private changed(kind: PersonKind, personId: string): void {
    if (!this.shared) return;
    if (this.db.inTransaction) this.touched.set(key(kind, personId), { kind, personId });
    // One round trip: the lock is taken (and the notification queued for commit) while the
    // subquery runs, before the insert draws its number.
    const write = (): void => {
      this.db
        .prepare(
          `INSERT INTO index_changes (person_kind, person_id)
           SELECT ?, ? FROM (SELECT pg_advisory_xact_lock(CAST(? AS bigint)), pg_notify('vigil_index', '')) AS locked`,
        )
        .run(kind, personId, STORE_WRITE_LOCK);
    };
    if (this.db.inTransaction) write();
    else this.db.transaction(write)();
  }

  /**
   * Replays the changes other nodes made to the shared store since the last call: each person
   * named is reloaded from the rows (or dropped when no longer matchable). Returns how many people
   * changed; 0 on the embedded store, whose only writer is this process.
   */
  catchUp(): number {
    if (!this.shared || !this.db.open) return 0;
    const rows = this.db
      .prepare(
        'SELECT seq, person_kind AS kind, person_id AS personId FROM index_changes WHERE seq > ? ORDER BY seq',
      )
      .all(this.watermark) as { seq: number; kind: PersonKind; personId: string }[];
    if (rows.length === 0) return 0;
    const people = new Map<string, { kind: PersonKind; personId: string }>();
    for (const r of rows) people.set(key(r.kind, r.personId), { kind: r.kind, personId: r.personId });
    for (const p of people.values()) this.refresh(p.kind, p.personId);
    this.watermark = rows[rows.length - 1]!.seq;
    return people.size;
  }

  /** A person's place in this node's index, as the rows say now. */
  private refresh(kind: PersonKind, personId: string): void {
    const matchable =
      kind === 'member'
        ? this.db
            .prepare("SELECT 1 FROM members WHERE member_id = ? AND status IN ('active', 'suspended')")
            .get(personId)
        : this.db
            .prepare("SELECT 1 FROM unknown_persons WHERE unknown_id = ? AND status = 'active'")
            .get(personId);
    if (matchable) this.load1(kind, personId);
    else this.drop(kind, personId);
  }

  /**
   * The transaction (or savepoint) that changed vectors was rolled back: the people it touched are
   * reloaded from the rows, so this node never matches a vector the store does not hold (on the
   * shared store the floats are searched in memory, not read back). `done`: the outermost one.
   */
  rolledBack(done: boolean): void {
    if (!this.shared) return;
    for (const p of this.touched.values()) {
      try {
        this.refresh(p.kind, p.personId);
      } catch {
        // The server is away: the change rows, replayed by catchUp, were rolled back too; the
        // next change of this person (or a restart) brings it right.
      }
    }
    if (done) this.touched.clear();
  }

  /** The transaction committed: its changes stay. */
  committed(): void {
    this.touched.clear();
  }

  /** Deletes every vector of a person from disk and memory (inside the caller's transaction). */
  removePerson(kind: PersonKind, personId: string): number {
    const ids = this.db
      .prepare('SELECT embedding_id FROM embeddings WHERE person_kind = ? AND person_id = ?')
      .pluck()
      .all(kind, personId) as number[];
    const delVec = this.db.prepare('DELETE FROM face_vectors WHERE embedding_id = ?');
    for (const id of ids) {
      this.shred(id);
      delVec.run(BigInt(id));
    }
    this.db.prepare('DELETE FROM embeddings WHERE person_kind = ? AND person_id = ?').run(kind, personId);
    this.forget(kind, personId);
    return ids.length;
  }

  /**
   * Hands every vector of one person to another, unchanged (an unknown person converted into a
   * member): rows and sqlite-vec metadata are re-labelled in the caller's transaction, and the
   * in-memory index follows, so the vectors match as the new person at once.
   */
  relabel(from: { kind: PersonKind; personId: string }, to: { kind: PersonKind; personId: string }): number {
    const ids = this.db
      .prepare('SELECT embedding_id FROM embeddings WHERE person_kind = ? AND person_id = ?')
      .pluck()
      .all(from.kind, from.personId) as number[];
    this.db
      .prepare('UPDATE embeddings SET person_kind = ?, person_id = ? WHERE person_kind = ? AND person_id = ?')
      .run(to.kind, to.personId, from.kind, from.personId);
    const setVec = this.db.prepare('UPDATE face_vectors SET kind = ?, person_id = ? WHERE embedding_id = ?');
    for (const id of ids) setVec.run(to.kind, to.personId, BigInt(id));
    this.forget(from.kind, from.personId);
    this.reactivate(to.kind, to.personId);
    return ids.length;
  }

  /** Removes one stored vector (not the person). */
  removeVector(id: number): void {
    const owner = this.shared ? this.ownerOf(id) : undefined;
    this.shred(id);
    this.db.prepare('DELETE FROM face_vectors WHERE embedding_id = ?').run(BigInt(id));
    this.db.prepare('DELETE FROM embeddings WHERE embedding_id = ?').run(id);
    this.untrack(id);
    if (owner) this.changed(owner.kind, owner.personId);
  }

  private ownerOf(id: number): { kind: PersonKind; personId: string } | undefined {
    return (
      this.meta.get(id) ??
      (this.db
        .prepare('SELECT person_kind AS kind, person_id AS personId FROM embeddings WHERE embedding_id = ?')
        .get(id) as { kind: PersonKind; personId: string } | undefined)
    );
  }

  /**
   * Takes one stored vector out of matching but keeps it, so a template update can be undone;
   * `restore` puts it back. Retired vectors go with their person on deletion like any other.
   */
  retire(id: number): void {
    const owner = this.shared ? this.ownerOf(id) : undefined;
    this.db
      .prepare('UPDATE embeddings SET retired_at = ? WHERE embedding_id = ?')
      .run(new Date().toISOString(), id);
    this.untrack(id);
    if (owner) this.changed(owner.kind, owner.personId);
  }

  restore(id: number): void {
    const row = this.db
      .prepare(
        'SELECT person_kind AS kind, person_id AS personId, is_centroid AS isCentroid, code FROM embeddings WHERE embedding_id = ?',
      )
      .get(id) as { kind: PersonKind; personId: string; isCentroid: number; code: Buffer } | undefined;
    if (!row) throw new Error(`vector ${id} missing`);
    this.db.prepare('UPDATE embeddings SET retired_at = NULL WHERE embedding_id = ?').run(id);
    this.track(
      id,
      { kind: row.kind, personId: row.personId, isCentroid: row.isCentroid === 1 },
      row.code,
      this.shared ? this.vector(id) : undefined,
    );
    this.changed(row.kind, row.personId);
  }

  /** Drops a vector from the in-memory index only. */
  private untrack(id: number): void {
    const m = this.meta.get(id);
    if (!m) return;
    this.indexes[m.kind].remove(id);
    this.meta.delete(id);
    this.floats.delete(id);
    const list = this.byPerson.get(key(m.kind, m.personId));
    if (list) list.splice(list.indexOf(id), 1);
  }

  /**
   * Overwrites a stored vector with zeros. sqlite-vec keeps vectors side by side in chunk blobs and
   * a DELETE only marks the slot free, so without this the floats could outlive an erasure.
   */
  private shred(id: number): void {
    this.db
      .prepare('UPDATE face_vectors SET embedding = ? WHERE embedding_id = ?')
      .run(Buffer.alloc(this.dim * 4), BigInt(id));
  }

  /**
   * Takes a person out of matching, or puts them back, keeping their vectors (GDPR restriction);
   * the sqlite-vec `active` flag follows, for any query that filters on it.
   */
  setActive(kind: PersonKind, personId: string, active: boolean): void {
    const ids = this.db
      .prepare('SELECT embedding_id FROM embeddings WHERE person_kind = ? AND person_id = ?')
      .pluck()
      .all(kind, personId) as number[];
    const set = this.db.prepare('UPDATE face_vectors SET active = ? WHERE embedding_id = ?');
    for (const id of ids) set.run(BigInt(active ? 1 : 0), BigInt(id));
    if (active) this.reactivate(kind, personId);
    else this.forget(kind, personId);
  }

  /** Drops a person from matching without deleting their vectors (suspension, restriction). */
  forget(kind: PersonKind, personId: string): void {
    this.drop(kind, personId);
    this.changed(kind, personId);
  }

  /** Puts a person's stored vectors back into matching. */
  reactivate(kind: PersonKind, personId: string): void {
    this.load1(kind, personId);
    this.changed(kind, personId);
  }

  /** forget, in this node's memory only. */
  private drop(kind: PersonKind, personId: string): void {
    const k = key(kind, personId);
    for (const id of this.byPerson.get(k) ?? []) {
      this.indexes[kind].remove(id);
      this.meta.delete(id);
      this.floats.delete(id);
    }
    this.byPerson.delete(k);
  }

  /** reactivate, in this node's memory only. */
  private load1(kind: PersonKind, personId: string): void {
    this.drop(kind, personId);
    const rows = this.db
      .prepare(
        this.shared
          ? `SELECT e.embedding_id AS id, e.is_centroid AS isCentroid, e.code, v.embedding FROM embeddings e
             JOIN face_vectors v ON v.embedding_id = e.embedding_id
             WHERE e.person_kind = ? AND e.person_id = ? AND e.retired_at IS NULL`
          : 'SELECT embedding_id AS id, is_centroid AS isCentroid, code FROM embeddings WHERE person_kind = ? AND person_id = ? AND retired_at IS NULL',
      )
      .all(kind, personId) as { id: number; isCentroid: number; code: Buffer; embedding?: Buffer }[];
    for (const r of rows)
      this.track(
        r.id,
        { kind, personId, isCentroid: r.isCentroid === 1 },
        r.code,
        r.embedding && floats(r.embedding),
      );
  }

  vector(id: number): Float32Array {
    const held = this.floats.get(id);
    if (held) return held.slice();
    const blob = this.getVector.get(BigInt(id)) as Buffer | undefined;
    if (!blob) throw new Error(`vector ${id} missing`);
    return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  }

  vectorsOf(kind: PersonKind, personId: string): { id: number; isCentroid: boolean; vector: Float32Array }[] {
    const rows = this.db
      .prepare(
        'SELECT embedding_id AS id, is_centroid AS isCentroid FROM embeddings WHERE person_kind = ? AND person_id = ? AND retired_at IS NULL',
      )
      .all(kind, personId) as { id: number; isCentroid: number }[];
    return rows.map((r) => ({ id: r.id, isCentroid: r.isCentroid === 1, vector: this.vector(r.id) }));
  }

  count(kind: PersonKind): number {
    return this.indexes[kind].size;
  }

  /**
   * The people most similar to the probe. A person's similarity is their best stored vector,
   * centroid or shot (see match/similarity). The prefilter proposes vectors, each is rescored
   * exactly, and the best score per person wins; all of a person's vectors are in the index, so
   * their best one is among the candidates whenever any of them is.
   */
  searchPeople(kind: PersonKind, probe: Float32Array, k: number): PersonMatch[] {
    const index = this.indexes[kind];
    if (index.size === 0) return [];
    const best = new Map<string, number>();
    for (const id of index.candidates(probe, candidateCount(index.size))) {
      const m = this.meta.get(id);
      if (!m) continue;
      const held = this.floats.get(id);
      if (held) {
        const s = dot(probe, held);
        if (s > (best.get(m.personId) ?? -2)) best.set(m.personId, s);
        continue;
      }
      const blob = this.getVector.get(BigInt(id)) as Buffer | undefined;
      if (!blob) {
        // Erased by another process on the same folder (`vigil subject erase` beside `vigil serve`).
        this.untrack(id);
        continue;
      }
      const s = dot(
        probe,
        new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength)),
      );
      if (s > (best.get(m.personId) ?? -2)) best.set(m.personId, s);
    }
    return [...best]
      .map(([personId, similarity]) => ({ kind, personId, similarity }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
  }

  /**
   * The k nearest stored vectors by sqlite-vec's exhaustive scan (no prefilter): what bench:at-rest
   * times to price the cipher on every page of the vector table. Not used for matching.
   */
  scanNearest(probe: Float32Array, k: number): { embedding_id: number; distance: number }[] {
    this.scan ??= this.db.prepare(
      'SELECT embedding_id, distance FROM face_vectors WHERE embedding MATCH ? AND k = ?',
    );
    return this.scan.all(probe, k) as { embedding_id: number; distance: number }[];
  }

  private scan: SqlStatement | undefined;
}
