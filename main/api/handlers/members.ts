import type { AppearanceView, MemberView, PhotoCheck } from '../../contract/contract.js';
import type { Box } from '../../detect/types.js';
import { decodeImage } from '../../decode/image.js';
import { largestFace, analyseImage } from '../../engine/analyze.js';
import type { Engine } from '../../engine/engine.js';
import { describeError, VigilError } from '../../errors.js';
import { recordConsent } from '../../privacy/subject.js';
import { ENROLL_GATE, gateFailure, subjectCandidates } from '../../quality/quality.js';
import { appendAudit } from '../../store/audit.js';
import {
  getMember,
  parseAllowedHours,
  searchMembers,
  setMemberAccess,
  setMemberStatus,
  updateMember,
  type MemberRow,
} from '../../store/members.js';
import { actorOf, type Handlers } from '../context.js';

export function memberView(engine: Engine, m: MemberRow): MemberView {
  const n = engine.db
    .prepare(
      "SELECT COUNT(*) AS n FROM embeddings WHERE person_kind = 'member' AND person_id = ? AND is_centroid = 0",
    )
    .get(m.member_id) as { n: number };
  return {
    member_id: m.member_id,
    name: m.name,
    apartment: m.apartment,
    email: m.email,
    phone: m.phone,
    member_type: m.member_type,
    status: m.status,
    watchlist: m.watchlist === 1,
    allowed_hours: m.allowed_hours,
    notes: m.notes,
    quality_score: m.quality_score,
    embeddings_count: n.n,
    created_at: m.created_at,
    updated_at: m.updated_at,
    last_seen: m.last_seen,
    total_appearances: m.total_appearances,
  };
}

function mustGet(engine: Engine, id: string): MemberRow {
  const m = getMember(engine.db, id);
  if (!m) throw new VigilError('NOT_FOUND', `No member with id ${id}.`);
  return m;
}

function bytesOf(base64: string, label: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new VigilError('IMAGE_EMPTY', `${label} is an empty file.`);
  return bytes;
}

/** The enrollment gate applied to one photo, for the wizard's feedback as photos are added. */
async function checkPhoto(engine: Engine, name: string, data: string, live: boolean): Promise<PhotoCheck> {
  try {
    const models = await engine.loadModels();
    const decoded = await decodeImage(bytesOf(data, 'The photo'), { label: 'the photo' });
    const faces = await analyseImage(models, decoded);
    const big = subjectCandidates(faces);
    if (faces.length === 0)
      return {
        name,
        ok: false,
        reason: 'No face was found in the photo.',
        quality: null,
        face_px: null,
        liveness: null,
      };
    if (big.length > 1)
      return {
        name,
        ok: false,
        reason: `The photo shows ${big.length} faces; enrollment needs exactly one.`,
        quality: null,
        face_px: null,
        liveness: null,
      };
    const face = big[0] ?? largestFace(faces)!;
    const failure = gateFailure(face.quality, ENROLL_GATE);
    let reason = failure ? failure.reason.charAt(0).toUpperCase() + failure.reason.slice(1) + '.' : null;
    const liveness =
      live && !failure
        ? await engine.liveness(decoded.image, face.box.map((v) => v * decoded.scale) as Box)
        : null;
    if (liveness && !liveness.live)
      reason = 'This looks like a photo or a screen rather than a live face; look into the camera yourself.';
    return {
      name,
      ok: reason === null,
      reason,
      quality: Math.round(face.quality.score * 1000) / 1000,
      face_px: Math.round(face.quality.faceSize),
      liveness: liveness ? Math.round(liveness.probability * 1000) / 1000 : null,
    };
  } catch (e) {
    return { name, ok: false, reason: describeError(e), quality: null, face_px: null, liveness: null };
  }
}

export const membersHandlers: Pick<
  Handlers,
  | 'members.list'
  | 'members.get'
  | 'members.checkPhoto'
  | 'members.enroll'
  | 'members.update'
  | 'members.setStatus'
  | 'members.delete'
> = {
  'members.list': (ctx, p) => {
    const page = searchMembers(ctx.engine.db, p.query ?? '', p.offset, p.limit);
    return { total: page.total, items: page.items.map((m) => memberView(ctx.engine, m)) };
  },
  'members.get': (ctx, p) => {
    const m = mustGet(ctx.engine, p.id);
    const appearances = ctx.engine.db
      .prepare(
        `SELECT appearance_id, person_kind, person_id, camera_id, first_seen, last_seen, confidence
         FROM appearances WHERE person_kind = 'member' AND person_id = ? ORDER BY first_seen DESC LIMIT 500`,
      )
      .all(p.id) as Omit<AppearanceView, 'name'>[];
    appendAudit(ctx.engine.db, { actor: actorOf(ctx), action: 'member_viewed', subject: p.id });
    return {
      member: memberView(ctx.engine, m),
      appearances: appearances.map((a) => ({ ...a, name: m.name })),
    };
  },
  'members.checkPhoto': (ctx, p) => checkPhoto(ctx.engine, p.photo.name, p.photo.data, p.live ?? false),
  'members.enroll': async (ctx, p) => {
    const photos = p.photos.map((ph) => ({ label: ph.name, data: bytesOf(ph.data, ph.name) }));
    const consent = p.consent;
    return ctx.engine.enroll(
      {
        name: p.member.name,
        apartment: p.member.apartment ?? null,
        email: p.member.email ?? null,
        phone: p.member.phone ?? null,
        member_type: p.member.member_type ?? 'member',
        notes: p.member.notes ?? null,
      },
      photos,
      {
        actor: actorOf(ctx),
        // Consent shown before capture is recorded in the same transaction as the member.
        afterInsert: consent
          ? (memberId) => recordConsent(ctx.engine, memberId, consent.text, consent.method, actorOf(ctx))
          : undefined,
      },
    );
  },
  'members.update': (ctx, p) => {
    const db = ctx.engine.db;
    db.transaction(() => {
      mustGet(ctx.engine, p.id);
      updateMember(db, p.id, p.fields);
      appendAudit(db, {
        actor: actorOf(ctx),
        action: 'member_updated',
        subject: p.id,
        details: { fields: Object.keys(p.fields).join(',') },
      });
    })();
    return memberView(ctx.engine, mustGet(ctx.engine, p.id));
  },
  'members.setStatus': (ctx, p) => {
    const db = ctx.engine.db;
    const hours = p.allowed_hours === undefined ? undefined : parseAllowedHours(p.allowed_hours);
    db.transaction(() => {
      const m = mustGet(ctx.engine, p.id);
      if (m.status === 'restricted' && p.status)
        throw new VigilError(
          'CONFLICT',
          'This member’s processing is restricted (data-subject request); lift the restriction first.',
        );
      if (p.status) setMemberStatus(db, p.id, p.status === 'suspended' ? 'suspended' : 'active');
      if (p.watchlist !== undefined || hours !== undefined)
        setMemberAccess(db, p.id, {
          ...(p.watchlist === undefined ? {} : { watchlist: p.watchlist }),
          ...(hours === undefined ? {} : { allowedHours: hours }),
        });
      appendAudit(db, {
        actor: actorOf(ctx),
        action: 'member_updated',
        subject: p.id,
        details: {
          status: p.status ?? null,
          watchlist: p.watchlist ?? null,
          allowed_hours: hours === undefined ? null : (hours ?? 'any'),
        },
      });
    })();
    return memberView(ctx.engine, mustGet(ctx.engine, p.id));
  },
  'members.delete': (ctx, p) => {
    ctx.engine.deleteMember(p.id, actorOf(ctx));
    return { ok: true };
  },
};
