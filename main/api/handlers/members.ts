import type { MemberView, PhotoCheck } from '../../contract/contract.js';
import type { Box } from '../../detect/types.js';
import { decodeImage } from '../../photo/image.js';
import { largestFace, analyseImage } from '../../engine/analyze.js';
import type { Engine } from '../../engine/engine.js';
import { describeError, VigilError } from '../../errors.js';
import { recordConsent } from '../../services/subjects.js';
import { ENROLL_GATE, gateFailure, subjectCandidates } from '../../quality/quality.js';
import { changeMemberAccess, deleteMember } from '../../services/members.js';
import type { MemberRow } from '../../store/members.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';
import { MEMBER_TYPES, type ParsedParams } from '../../contract/contract.js';
import { packByName } from '../../catalogue/manifest.js';
import { RateLimiter, waitSentence } from '../../util/rate-limit.js';

export function memberView(engine: Engine, m: MemberRow): MemberView {
  const templates = engine.store.members.templateCount(m.member_id);
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
    embeddings_count: templates,
    created_at: m.created_at,
    updated_at: m.updated_at,
    last_seen: m.last_seen,
    total_appearances: m.total_appearances,
  };
}

function mustGet(engine: Engine, id: string): MemberRow {
  const m = engine.store.members.get(id);
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

/** What the enrollment kiosk may enrol: people who live or visit here, never staff or deliveries. */
export const KIOSK_MEMBER_TYPES: readonly (typeof MEMBER_TYPES)[number][] = ['member', 'visitor'];
/** Enrollments per kiosk identity: 10 at once, then one every 3 minutes (a queue at the desk, not a script). */
const kioskEnrollments = new RateLimiter({ burst: 10, refillMs: 3 * 60_000 });

export function isKiosk(ctx: ApiContext): boolean {
  return ctx.kiosk || ctx.user?.role === 'kiosk';
}

/**
 * The kiosk's rules, enforced here rather than in its page: fixed member types, consent given at
 * the kiosk, live captures that pass the pack's liveness model, and a bounded pace.
 */
async function kioskGate(ctx: ApiContext, p: ParsedParams<'members.enroll'>): Promise<void> {
  const type = p.member.member_type ?? 'member';
  if (!KIOSK_MEMBER_TYPES.includes(type))
    throw new VigilError(
      'FORBIDDEN',
      `The kiosk enrolls members and visitors only; ${type === 'staff' ? 'staff are' : 'deliveries are'} enrolled at the console.`,
    );
  if (!p.consent || p.consent.method !== 'kiosk')
    throw new VigilError(
      'FORBIDDEN',
      'The kiosk enrolls a person only after they have accepted the consent text.',
    );
  if (packByName(ctx.pack).liveness)
    for (const ph of p.photos.filter((x) => x.live)) {
      const check = await checkPhoto(ctx.engine, ph.name, ph.data, true);
      if (check.liveness !== null && !check.ok)
        throw new VigilError(
          'INVALID_ARGUMENT',
          check.reason ?? 'A live capture did not pass the liveness check.',
        );
    }
  const wait = kioskEnrollments.take(actorOf(ctx));
  if (wait > 0)
    throw new VigilError(
      'FORBIDDEN',
      `The kiosk has enrolled many people in a short time: try again in ${waitSentence(wait)}.`,
    );
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
    const page = ctx.engine.store.members.search(p.query ?? '', p.offset, p.limit);
    return { total: page.total, items: page.items.map((m) => memberView(ctx.engine, m)) };
  },
  'members.get': (ctx, p) => {
    const m = mustGet(ctx.engine, p.id);
    const appearances = ctx.engine.store.appearances.ofMember(p.id, 500);
    ctx.engine.store.audit.append({ actor: actorOf(ctx), action: 'member_viewed', subject: p.id });
    return {
      member: memberView(ctx.engine, m),
      appearances: appearances.map((a) => ({ ...a, name: m.name })),
    };
  },
  'members.checkPhoto': (ctx, p) => checkPhoto(ctx.engine, p.photo.name, p.photo.data, p.live ?? false),
  'members.enroll': async (ctx, p) => {
    const kiosk = isKiosk(ctx);
    if (kiosk) await kioskGate(ctx, p);
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
        afterInsert: (memberId) => {
          if (consent) recordConsent(ctx.engine, memberId, consent.text, consent.method, actorOf(ctx));
          if (kiosk)
            ctx.engine.store.audit.append({
              actor: actorOf(ctx),
              action: 'kiosk_enrollment',
              subject: memberId,
              details: {
                member_type: p.member.member_type ?? 'member',
                live_photos: p.photos.filter((x) => x.live).length,
                ...(ctx.client ? { address: ctx.client.address } : {}),
              },
            });
        },
      },
    );
  },
  'members.update': (ctx, p) => {
    const store = ctx.engine.store;
    store.transaction(() => {
      mustGet(ctx.engine, p.id);
      store.members.update(p.id, p.fields);
      store.audit.append({
        actor: actorOf(ctx),
        action: 'member_updated',
        subject: p.id,
        details: { fields: Object.keys(p.fields).join(',') },
      });
    });
    return memberView(ctx.engine, mustGet(ctx.engine, p.id));
  },
  'members.setStatus': (ctx, p) =>
    memberView(
      ctx.engine,
      changeMemberAccess(ctx.engine, actorOf(ctx), p.id, {
        status: p.status,
        watchlist: p.watchlist,
        allowedHours: p.allowed_hours,
      }),
    ),
  'members.delete': (ctx, p) => {
    deleteMember(ctx.engine, actorOf(ctx), p.id);
    return { ok: true };
  },
};
