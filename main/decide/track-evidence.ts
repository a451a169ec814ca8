import { dot } from '../match/similarity.js';
import { sampleWeight, unknownTemplate, type FaceSample } from './track-decision.js';

export type EmbeddedSample = FaceSample & { embedding: Float32Array };

/**
 * The embedded faces a track's decision rests on, kept apart from the tracker's observation
 * window (which holds only the last few seconds): the `max` best by evidence weight. A track of any
 * length keeps its best views, in bounded memory, for as long as it lasts.
 */
export class TrackEvidence {
  private kept: EmbeddedSample[] = [];
  /** Faces embedded over the track's whole life (not only those kept). */
  embedded = 0;
  bestWeight = 0;
  lastEmbedAt = Number.NEGATIVE_INFINITY;

  constructor(readonly max = 12) {}

  get samples(): readonly EmbeddedSample[] {
    return this.kept;
  }

  add(s: EmbeddedSample): void {
    this.embedded++;
    this.lastEmbedAt = Math.max(this.lastEmbedAt, s.at);
    this.bestWeight = Math.max(this.bestWeight, sampleWeight(s.quality));
    this.kept.push(s);
    this.kept.sort((a, b) => sampleWeight(b.quality) - sampleWeight(a.quality));
    if (this.kept.length > this.max) this.kept.length = this.max;
  }

  /** Takes in another track's evidence (a lost track found again: one visit). */
  absorb(other: TrackEvidence): void {
    for (const s of other.kept) this.add(s);
    this.embedded += other.embedded - other.kept.length;
  }

  /** Centroid of the best views, or null before any usable face was embedded. */
  template(): Float32Array | null {
    return unknownTemplate([...this.kept])?.template ?? null;
  }

  /** How alike two tracks' best views are (cosine of their templates), -1 without evidence. */
  similarity(other: TrackEvidence): number {
    const a = this.template();
    const b = other.template();
    return a && b ? dot(a, b) : -1;
  }
}
