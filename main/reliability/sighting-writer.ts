import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import type { Engine } from '../engine/engine.js';
import type { RecognitionEvent } from '../engine/events.js';
import {
  planUnknownSighting,
  recordMemberSighting,
  recordUnknownSighting,
  type Bbox,
} from '../engine/sightings.js';
import { AlertEngine } from '../notify/alerts.js';

/**
 * Live sightings written exactly as the pipeline writes them (engine/sightings.ts), then shown
 * to the real alert engine, without cameras or models: a member seen again (probe: their stored
 * centroid), a stranger seen again (their stored vector), or a new stranger (a random direction,
 * with an encrypted crop cut from a real photo). `ack` hears of each write once it has committed.
 */
export class SightingWriter {
  private readonly alerts: AlertEngine;

  constructor(
    private readonly engine: Engine,
    private readonly frame: RgbImage,
    private readonly box: Box,
    private readonly rand: () => number,
    private readonly ack: (line: string) => void,
    readonly cameraId = 'crash-cam',
  ) {
    // No cooldown and a low bar, so the storm writes alerts too.
    this.alerts = new AlertEngine(engine.store, [], { cooldownMs: 0, recurringThreshold: 2 });
    this.alerts.on('alert', (a) => {
      if (a.alert_id > 0) ack(`ACK alert ${a.alert_id} ${a.person_id ?? '-'}`);
    });
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /** A unit vector near v (amount 1 and v = 0: a random direction). */
  private noisy(v: Float32Array, amount: number): Float32Array {
    const out = new Float32Array(v.length);
    let norm = 0;
    for (let i = 0; i < v.length; i++) {
      out[i] = v[i]! + amount * (this.rand() * 2 - 1);
      norm += out[i]! * out[i]!;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < out.length; i++) out[i]! /= norm;
    return out;
  }

  private ids(table: 'members' | 'unknown_persons'): string[] {
    const rows = this.engine.store.inspection;
    return table === 'members' ? rows.activeMemberIds() : rows.activeUnknownIds();
  }

  private event(kind: RecognitionEvent['kind'], person: string, bbox: Bbox): RecognitionEvent {
    return {
      type: 'recognition',
      camera_id: this.cameraId,
      track_id: 0,
      kind,
      ...(kind === 'known_member' ? { member_id: person } : { unknown_id: person }),
      name: person,
      confidence: 0.9,
      bbox,
      frame_at: Date.now(),
      at: Date.now(),
    };
  }

  /** One sighting; `kind` forces its kind (the template builder wants new strangers). */
  async next(kind?: 'member' | 'recurring' | 'new'): Promise<void> {
    const engine = this.engine;
    const r = this.rand();
    const chosen = kind ?? (r < 0.4 ? 'member' : r < 0.7 ? 'recurring' : 'new');
    const now = Date.now();
    const bbox = this.box.map(Math.round) as Bbox;
    const t = engine.thresholds(this.cameraId);
    const members = chosen === 'member' ? this.ids('members') : [];
    if (members.length > 0) {
      const probe = engine.store.vectors
        .vectorsOf('member', this.pick(members))
        .find((v) => v.isCentroid)?.vector;
      const match = probe && engine.store.vectors.searchPeople('member', this.noisy(probe, 0.002), 1)[0];
      if (!match || match.similarity < t.recognition) return;
      const appearance = recordMemberSighting(engine, {
        memberId: match.personId,
        cameraId: this.cameraId,
        firstSeen: now - 2000,
        lastSeen: now,
        similarity: match.similarity,
        bbox,
      });
      this.ack(`ACK appearance ${appearance} ${match.personId}`);
      this.alerts.handle(this.event('known_member', match.personId, bbox));
      return;
    }
    const unknowns = chosen === 'recurring' ? this.ids('unknown_persons') : [];
    let shots: { embedding: Float32Array; quality: number }[];
    if (unknowns.length > 0) {
      const probe = engine.store.vectors.vectorsOf('unknown', this.pick(unknowns))[0]?.vector;
      if (!probe) return;
      shots = [{ embedding: this.noisy(probe, 0.002), quality: 0.8 }];
    } else {
      // A stranger nobody has seen: a random direction is far from every stored face.
      const base = this.noisy(new Float32Array(engine.store.vectors.dim), 1);
      shots = [
        { embedding: this.noisy(base, 0.01), quality: 0.9 },
        { embedding: this.noisy(base, 0.01), quality: 0.8 },
      ];
    }
    const s = {
      cameraId: this.cameraId,
      firstSeen: now - 3000,
      lastSeen: now,
      bbox,
      shots,
      nearest: engine.store.vectors.searchPeople('unknown', shots[0]!.embedding, 1)[0],
      unknownThreshold: t.unknown,
    };
    const plan = planUnknownSighting(s);
    const appearance = recordUnknownSighting(engine, s, plan);
    if (plan.kind === 'new_unknown') this.ack(`ACK unknown ${plan.unknownId}`);
    this.ack(`ACK appearance ${appearance} ${plan.unknownId}`);
    if (plan.kind === 'new_unknown' && (await engine.keepCrop(plan.unknownId, this.frame, this.box)))
      this.ack(`ACK crop ${plan.unknownId}`);
    this.alerts.handle(this.event(plan.kind, plan.unknownId, bbox));
  }
}
