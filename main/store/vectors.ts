import type Database from 'better-sqlite3';
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

/**
 * Embeddings of members and unknown persons: floats in the sqlite-vec table (the durable copy),
 * sign-bit codes in memory for the 1:N prefilter. Only active people are in the in-memory index,
 * so restricted members (GDPR restriction) and closed unknown cases are never matched without a second
 * filtering pass. Suspended members stay matchable: seeing one is what raises unauthorized_access.
 */
export class VectorStore {
  private readonly indexes: Record<PersonKind, BinaryCodeIndex>;
  private readonly meta = new Map<number, VectorMeta>();
  private readonly byPerson = new Map<string, number[]>();
  private readonly getVector: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    readonly dim: number,
  ) {
    this.indexes = { member: new BinaryCodeIndex(dim), unknown: new BinaryCodeIndex(dim) };
    this.getVector = db.prepare('SELECT embedding FROM face_vectors WHERE embedding_id = ?').pluck();
    this.load();
  }

  private load(): void {
    const rows = this.db
      .prepare(
        `SELECT e.embedding_id AS id, e.person_kind AS kind, e.person_id AS personId, e.is_centroid AS isCentroid, e.code AS code
         FROM embeddings e
         LEFT JOIN members m ON e.person_kind = 'member' AND m.member_id = e.person_id
         LEFT JOIN unknown_persons u ON e.person_kind = 'unknown' AND u.unknown_id = e.person_id
         WHERE e.retired_at IS NULL AND ((e.person_kind = 'member' AND m.status IN ('active', 'suspended')) OR (e.person_kind = 'unknown' AND u.status = 'active'))`,
      )
      .iterate() as Iterable<{
      id: number;
      kind: PersonKind;
      personId: string;
      isCentroid: number;
      code: Buffer;
    }>;
    for (const r of rows)
      this.track(r.id, { kind: r.kind, personId: r.personId, isCentroid: r.isCentroid === 1 }, r.code);
  }

  private track(id: number, m: VectorMeta, code: Uint8Array): void {
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
    this.track(id, { kind, personId, isCentroid: !!opts.isCentroid }, code);
    return id;
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
    this.shred(id);
    this.db.prepare('DELETE FROM face_vectors WHERE embedding_id = ?').run(BigInt(id));
    this.db.prepare('DELETE FROM embeddings WHERE embedding_id = ?').run(id);
    this.untrack(id);
  }

  /**
   * Takes one stored vector out of matching but keeps it, so a template update can be undone;
   * `restore` puts it back. Retired vectors go with their person on deletion like any other.
   */
  retire(id: number): void {
    this.db
      .prepare('UPDATE embeddings SET retired_at = ? WHERE embedding_id = ?')
      .run(new Date().toISOString(), id);
    this.untrack(id);
  }

  restore(id: number): void {
    const row = this.db
      .prepare(
        'SELECT person_kind AS kind, person_id AS personId, is_centroid AS isCentroid, code FROM embeddings WHERE embedding_id = ?',
      )
      .get(id) as { kind: PersonKind; personId: string; isCentroid: number; code: Buffer } | undefined;
    if (!row) throw new Error(`vector ${id} missing`);
    this.db.prepare('UPDATE embeddings SET retired_at = NULL WHERE embedding_id = ?').run(id);
    this.track(id, { kind: row.kind, personId: row.personId, isCentroid: row.isCentroid === 1 }, row.code);
  }

  /** Drops a vector from the in-memory index only. */
  private untrack(id: number): void {
    const m = this.meta.get(id);
    if (!m) return;
    this.indexes[m.kind].remove(id);
    this.meta.delete(id);
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
    const k = key(kind, personId);
    for (const id of this.byPerson.get(k) ?? []) {
      this.indexes[kind].remove(id);
      this.meta.delete(id);
    }
    this.byPerson.delete(k);
  }

  /** Puts a person's stored vectors back into matching. */
  reactivate(kind: PersonKind, personId: string): void {
    this.forget(kind, personId);
    const rows = this.db
      .prepare(
        'SELECT embedding_id AS id, is_centroid AS isCentroid, code FROM embeddings WHERE person_kind = ? AND person_id = ? AND retired_at IS NULL',
      )
      .all(kind, personId) as { id: number; isCentroid: number; code: Buffer }[];
    for (const r of rows) this.track(r.id, { kind, personId, isCentroid: r.isCentroid === 1 }, r.code);
  }

  vector(id: number): Float32Array {
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

  private scan: Database.Statement | undefined;
}
