import type { Box } from '../contract/contract.js';
import { insertAppearance } from '../store/appearances.js';
import { appendAudit } from '../store/audit.js';
import { readConfig } from '../store/config.js';
import { recordMemberSeen } from '../store/members.js';
import { insertUnknown, newUnknownId, recordUnknownSeen } from '../store/unknowns.js';
import type { PersonMatch } from '../store/vectors.js';
import type { Engine } from './engine.js';

/**
 * The store writes of one live sighting, each a single transaction, shared by the pipeline and
 * the crash harness that checks they survive a kill at any point.
 */

/** The contract's face box, [x1, y1, x2, y2] in frame pixels. */
export type Bbox = Box;

const iso = (ms: number): string => new Date(ms).toISOString();

export interface MemberSighting {
  memberId: string;
  cameraId: string;
  firstSeen: number;
  lastSeen: number;
  similarity: number;
  bbox: Bbox;
}

/** A member named on a camera: one appearance row, and the member's last sighting. */
export function recordMemberSighting(engine: Engine, s: MemberSighting): number {
  const db = engine.db;
  return db
    .transaction(() => {
      const id = insertAppearance(db, {
        person_kind: 'member',
        person_id: s.memberId,
        camera_id: s.cameraId,
        source: 'camera',
        first_seen: iso(s.firstSeen),
        last_seen: iso(s.lastSeen),
        confidence: s.similarity,
        bbox: s.bbox,
      });
      recordMemberSeen(db, s.memberId, iso(s.lastSeen));
      return id;
    })
    .immediate();
}

/** The track of an already logged appearance went on: its end moves. */
export function extendAppearance(engine: Engine, appearanceId: number, lastSeen: number): void {
  engine.db
    .prepare('UPDATE appearances SET last_seen = ? WHERE appearance_id = ?')
    .run(iso(lastSeen), appearanceId);
}

export interface UnknownShot {
  embedding: Float32Array;
  quality: number;
}

export interface UnknownSighting {
  cameraId: string;
  firstSeen: number;
  lastSeen: number;
  bbox: Bbox;
  /** Best shots first. */
  shots: UnknownShot[];
  /** The nearest stored unknown person, if any. */
  nearest: PersonMatch | undefined;
  /** Similarity from which the nearest unknown is taken to be the same person. */
  unknownThreshold: number;
}

export interface UnknownPlan {
  kind: 'new_unknown' | 'recurring_unknown';
  unknownId: string;
  confidence: number;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** Who the stranger is taken to be, decided before (and whether or not) anything is written. */
export function planUnknownSighting(s: UnknownSighting): UnknownPlan {
  if (s.nearest && s.nearest.similarity >= s.unknownThreshold) {
    return {
      kind: 'recurring_unknown',
      unknownId: s.nearest.personId,
      confidence: round4(s.nearest.similarity),
    };
  }
  return {
    kind: 'new_unknown',
    unknownId: newUnknownId(new Date(s.firstSeen)),
    confidence: round4(1 - Math.max(0, s.nearest?.similarity ?? 0)),
  };
}

/**
 * Records a stranger's track: a new unknown person (row, best shots, audit entry) or one more
 * sighting of a known one (a few more views kept), and the appearance. Returns the appearance id.
 * If the transaction fails, the in-memory search index is put back to what the store holds, so
 * no vector that was rolled back can be matched (or fail a later search).
 */
export function recordUnknownSighting(engine: Engine, s: UnknownSighting, plan: UnknownPlan): number {
  const db = engine.db;
  const id = plan.unknownId;
  const quality = s.shots[0]?.quality ?? 0;
  const maxShots = readConfig(db, 'max_embeddings_per_person');
  try {
    return db
      .transaction(() => {
        if (plan.kind === 'recurring_unknown') {
          recordUnknownSeen(db, id, iso(s.lastSeen), s.cameraId, quality);
          const have = engine.vectors.vectorsOf('unknown', id).length;
          for (const shot of s.shots.slice(0, Math.max(0, Math.min(2, maxShots - have))))
            engine.vectors.add('unknown', id, shot.embedding, { quality: shot.quality });
        } else {
          insertUnknown(db, id, iso(s.firstSeen), s.cameraId, quality, engine.recognizer.id);
          if (s.lastSeen > s.firstSeen)
            db.prepare('UPDATE unknown_persons SET last_seen = ? WHERE unknown_id = ?').run(
              iso(s.lastSeen),
              id,
            );
          for (const shot of s.shots.slice(0, maxShots))
            engine.vectors.add('unknown', id, shot.embedding, { quality: shot.quality });
          appendAudit(db, {
            actor: 'engine',
            action: 'unknown_detected',
            subject: id,
            details: { camera: s.cameraId },
          });
        }
        return insertAppearance(db, {
          person_kind: 'unknown',
          person_id: id,
          camera_id: s.cameraId,
          source: 'camera',
          first_seen: iso(s.firstSeen),
          last_seen: iso(s.lastSeen),
          confidence: plan.confidence,
          bbox: s.bbox,
        });
      })
      .immediate();
  } catch (e) {
    if (db.open) engine.vectors.reactivate('unknown', id);
    throw e;
  }
}
