import type { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { renderPdf } from '../reports/pdf.js';
import type { MemberRow } from '../store/members.js';
import type { ConsentRecord, SubjectAppearance, SubjectScalar } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import type { PersonKind } from '../store/vectors.js';
import { deleteCrop } from '../privacy/crops.js';

/**
 * Data-subject rights (GDPR arts. 15, 17, 18 and 7(3)) for one person, a member (MEMBER_…) or an
 * unknown person (UNKNOWN_…): access (export), erasure, restriction, and consent with its withdrawal.
 */

export type SubjectKind = PersonKind;

type Scalar = SubjectScalar;

export interface SubjectData {
  subject_id: string;
  kind: SubjectKind;
  generated_at: string;
  /** The member's or unknown person's record; null when only consent or audit entries remain. */
  personal: Record<string, Scalar> | null;
  /** Face templates: how many and when, never the numbers themselves. */
  embeddings: { count: number; items: { created_at: string; centroid: boolean }[] };
  /** Unknown-person cases later identified as this member (their sightings are this person's too). */
  linked_unknowns: string[];
  /** The encrypted face crop of an unknown person, described (the image needs the master key). */
  face_crop: { stored: boolean; created_at: string | null; expires_at: string | null };
  appearances: SubjectAppearance[];
  alerts: {
    alert_id: number;
    type: string;
    priority: string;
    status: string;
    camera_id: string | null;
    message: string;
    created_at: string;
  }[];
  audit: { audit_id: number; at: string; actor: string; action: string; details: string }[];
  consents: ConsentRecord[];
}

export type { ConsentRecord };

export interface ErasureResult {
  subject_id: string;
  kind: SubjectKind;
  vectors: number;
  appearances: number;
  alerts: number;
  crops: number;
  consents: number;
  linked_unknowns: number;
}

export function subjectKind(id: string): SubjectKind {
  if (id.startsWith('MEMBER_')) return 'member';
  if (id.startsWith('UNKNOWN_')) return 'unknown';
  throw new VigilError(
    'INVALID_ARGUMENT',
    `${id} is not a person id: member ids start with MEMBER_, unknown persons' with UNKNOWN_.`,
  );
}

/** A member plus the closed unknown cases converted into them; an unknown person alone. */
function personIds(store: Store, id: string, kind: SubjectKind): { kind: SubjectKind; id: string }[] {
  if (kind === 'unknown') return [{ kind, id }];
  const linked = store.subjects.linkedUnknowns(id);
  return [{ kind, id }, ...linked.map((u) => ({ kind: 'unknown' as const, id: u }))];
}

/**
 * Everything held about one person (right of access). Face templates are described by count and
 * date only: the vectors are meaningless to a person and would only make the export itself biometric.
 * With `actor` the export is audited.
 */
export function exportSubject(engine: Engine, id: string, actor?: string): SubjectData {
  const store = engine.store;
  const kind = subjectKind(id);
  const people = personIds(store, id, kind);
  const ids = people.map((p) => p.id);
  const data = store.transaction((): SubjectData => {
    const personal = store.subjects.personal(kind, id);
    const embeddings = store.subjects.templates(ids);
    const crop = store.crops.dates(id);
    const consents = store.subjects.consents(id);
    const audit = store.audit.about(ids);
    if (!personal && consents.length === 0 && audit.length === 0)
      throw new VigilError('NOT_FOUND', `Nothing is held about ${id}.`);
    return {
      subject_id: id,
      kind,
      generated_at: new Date().toISOString(),
      personal,
      embeddings: {
        count: embeddings.length,
        items: embeddings.map((e) => ({ created_at: e.created_at, centroid: e.is_centroid === 1 })),
      },
      linked_unknowns: ids.slice(1),
      face_crop: {
        stored: !!crop,
        created_at: crop?.created_at ?? null,
        expires_at: crop?.expires_at ?? null,
      },
      appearances: store.subjects.appearances(ids),
      alerts: store.subjects.alerts(ids),
      audit,
      consents,
    };
  });
  if (actor) {
    store.audit.append({
      actor,
      action: 'subject_exported',
      subject: id,
      details: { appearances: data.appearances.length, embeddings: data.embeddings.count },
    });
  }
  return data;
}

/** The same content as a PDF a person can read. */
export function subjectPdf(data: SubjectData): Promise<Buffer> {
  const personal = Object.entries(data.personal ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return renderPdf({
    title: `Personal data held about ${data.subject_id}`,
    meta: [
      ['Subject', data.subject_id],
      ['Kind', data.kind === 'member' ? 'enrolled member' : 'unknown person (not identified)'],
      ['Generated', data.generated_at],
      [
        'Face templates',
        `${data.embeddings.count} stored (numeric face templates used for recognition; the numbers themselves are not reproduced)`,
      ],
      [
        'Face crop',
        data.face_crop.stored
          ? `one encrypted image, kept until ${data.face_crop.expires_at ?? ''}`
          : 'none stored',
      ],
      ...(data.linked_unknowns.length
        ? [['Earlier unknown-person cases', data.linked_unknowns.join(', ')] as const]
        : []),
    ],
    tables: [
      {
        heading: 'Personal data',
        columns: [
          { header: 'Field', weight: 1 },
          { header: 'Value', weight: 3 },
        ],
        rows: personal,
        empty: 'No record of this person remains.',
      },
      {
        heading: 'Face templates',
        columns: [
          { header: 'Created', weight: 2 },
          { header: 'Type', weight: 2 },
        ],
        rows: data.embeddings.items.map((e) => [
          e.created_at,
          e.centroid ? 'average of the others' : 'from one photo',
        ]),
        empty: 'None.',
      },
      {
        heading: 'Sightings',
        columns: [
          { header: 'ID', weight: 0.6 },
          { header: 'First seen', weight: 1.8 },
          { header: 'Last seen', weight: 1.8 },
          { header: 'Camera', weight: 1.1 },
          { header: 'Source', weight: 0.8 },
          { header: 'Confidence', weight: 0.9 },
        ],
        rows: data.appearances.map((a) => [
          a.appearance_id,
          a.first_seen,
          a.last_seen,
          a.camera_id,
          a.source,
          Math.round(a.confidence * 1e4) / 1e4,
        ]),
        empty: 'None.',
      },
      {
        heading: 'Alerts',
        columns: [
          { header: 'ID', weight: 0.5 },
          { header: 'Created', weight: 1.7 },
          { header: 'Type', weight: 1.3 },
          { header: 'Status', weight: 1 },
          { header: 'Message', weight: 3 },
        ],
        rows: data.alerts.map((a) => [a.alert_id, a.created_at, a.type, a.status, a.message]),
        empty: 'None.',
      },
      {
        heading: 'Actions recorded in the audit log',
        columns: [
          { header: 'ID', weight: 0.5 },
          { header: 'At', weight: 1.7 },
          { header: 'By', weight: 1.2 },
          { header: 'Action', weight: 1.5 },
          { header: 'Details', weight: 2.5 },
        ],
        rows: data.audit.map((a) => [a.audit_id, a.at, a.actor, a.action, a.details]),
        empty: 'None.',
      },
      {
        heading: 'Consent',
        columns: [
          { header: 'Given', weight: 2 },
          { header: 'How', weight: 0.8 },
          { header: 'Withdrawn', weight: 2 },
          { header: 'Text', weight: 4 },
        ],
        rows: data.consents.map((c) => [c.given_at, c.method, c.withdrawn_at ?? 'no', c.text]),
        empty: 'No consent is on record.',
      },
    ],
  });
}

/** Deletes one unknown person's row, vectors, crop, sightings and alerts (inside a transaction). */
function eraseUnknown(engine: Engine, id: string, counts: ErasureResult): boolean {
  const store = engine.store;
  counts.vectors += engine.store.vectors.removePerson('unknown', id);
  // Crypto-shredding: the row holds the wrapped data key, so the ciphertext dies with it.
  counts.crops += deleteCrop(store, id) ? 1 : 0;
  counts.appearances += store.subjects.deleteUnknownSightings(id);
  counts.alerts += store.subjects.deleteAlerts(id);
  return store.subjects.deleteUnknown(id);
}

function eraseInTransaction(
  engine: Engine,
  id: string,
  actor: string,
  opts: { keepConsents: boolean; mustExist: boolean },
): ErasureResult | null {
  const store = engine.store;
  const kind = subjectKind(id);
  const counts: ErasureResult = {
    subject_id: id,
    kind,
    vectors: 0,
    appearances: 0,
    alerts: 0,
    crops: 0,
    consents: 0,
    linked_unknowns: 0,
  };
  let found: boolean;
  if (kind === 'member') {
    const linked = personIds(store, id, kind).slice(1);
    found = !!store.members.get(id);
    if (found) {
      counts.vectors += engine.store.vectors.removePerson('member', id);
      counts.appearances += store.subjects.memberSightingCount(id);
      counts.alerts += store.subjects.alertCount(id);
      store.members.delete(id);
      store.subjects.deleteAlerts(id);
    }
    for (const u of linked) if (eraseUnknown(engine, u.id, counts)) counts.linked_unknowns++;
  } else {
    found = eraseUnknown(engine, id, counts);
  }
  if (!found && opts.mustExist) throw new VigilError('NOT_FOUND', `No person with id ${id}.`);
  if (!opts.keepConsents) counts.consents = store.subjects.deleteConsents(id);
  if (!found) return null;
  // The audit trail keeps the pseudonymous id and counts (accountability, and the hash chain
  // cannot lose rows); no name or other field of the person is ever written to it.
  store.audit.append({
    actor,
    action: 'subject_erased',
    subject: id,
    details: {
      kind,
      vectors: counts.vectors,
      appearances: counts.appearances,
      alerts: counts.alerts,
      crops: counts.crops,
      consents: counts.consents,
      linked_unknowns: counts.linked_unknowns,
    },
  });
  return counts;
}

/**
 * Runs a change that deletes vectors; if it fails the rows roll back, so the in-memory index
 * (already told to forget) is rebuilt from what the store still holds.
 */
function withVectorRollback<T>(engine: Engine, ids: { kind: SubjectKind; id: string }[], fn: () => T): T {
  try {
    return engine.store.transaction(fn, 'immediate');
  } catch (e) {
    for (const p of ids) {
      const status =
        p.kind === 'member'
          ? engine.store.members.get(p.id)?.status
          : engine.store.subjects.unknownStatus(p.id);
      if (status === 'active' || status === 'suspended') engine.store.vectors.reactivate(p.kind, p.id);
      else engine.store.vectors.forget(p.kind, p.id);
    }
    throw e;
  }
}

/**
 * Folds the WAL back into the database and truncates it, so the pages that held the erased data
 * exist nowhere but as the zeroed pages secure_delete wrote. A reader on another connection can
 * hold the WAL open; that is logged, and the next checkpoint finishes the job.
 */
function checkpoint(store: Store): void {
  const r = store.subjects.purgeJournal();
  if (r.busy) log('warn', 'erasure_checkpoint_busy', { log: r.log, checkpointed: r.checkpointed });
}

/**
 * Right to erasure: in one transaction the person's row, vectors (zeroed, then deleted, and gone
 * from the search index), encrypted crop (its wrapped key), sightings, alerts and consent records
 * go; for a member, so do the unknown-person cases converted into them. Then the WAL is
 * checkpointed and truncated. The database runs with secure_delete, so freed space is zeroed.
 */
export function eraseSubject(engine: Engine, id: string, actor: string): ErasureResult {
  const people = personIds(engine.store, id, subjectKind(id));
  const result = withVectorRollback(engine, people, () =>
    eraseInTransaction(engine, id, actor, { keepConsents: false, mustExist: true }),
  );
  checkpoint(engine.store);
  return result!;
}

/**
 * Right to restriction: the member is kept but no longer matched (status 'restricted', vectors
 * out of the search index and flagged inactive); lifting it makes them an active member again.
 */
export function restrictSubject(engine: Engine, id: string, restricted: boolean, actor: string): void {
  if (subjectKind(id) !== 'member') {
    throw new VigilError(
      'INVALID_ARGUMENT',
      'Only a member can be restricted; an unknown person can be dismissed or erased instead.',
    );
  }
  const store = engine.store;
  withVectorRollback(engine, [{ kind: 'member', id }], () => {
    const m = store.members.get(id);
    if (!m) throw new VigilError('NOT_FOUND', `No member with id ${id}.`);
    const next: MemberRow['status'] = restricted ? 'restricted' : 'active';
    store.members.setStatus(id, next);
    engine.store.vectors.setActive('member', id, !restricted);
    store.audit.append({
      actor,
      action: restricted ? 'subject_restricted' : 'subject_restriction_lifted',
      subject: id,
      details: { previous: m.status },
    });
  });
}

/** Records consent given by (or for) a person; returns the consent id. */
export function recordConsent(engine: Engine, id: string, text: string, method: string, by: string): number {
  const store = engine.store;
  const kind = subjectKind(id);
  if (!text.trim()) throw new VigilError('INVALID_ARGUMENT', 'The consent text is empty.');
  return store.transaction(() => {
    if (!store.subjects.personal(kind, id)) throw new VigilError('NOT_FOUND', `No person with id ${id}.`);
    const consentId = store.subjects.addConsent(id, text, method, new Date().toISOString(), by);
    store.audit.append({
      actor: by,
      action: 'consent_recorded',
      subject: id,
      details: { consent_id: consentId, method },
    });
    return consentId;
  }, 'immediate');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Withdrawal of consent, which here means erasure: processing rests on consent alone, so
 * nothing may be kept once it is gone. The consent rows themselves stay, with the withdrawal
 * date, because the controller must be able to show that consent was given and when it was
 * withdrawn (art. 7(1)); they hold the pseudonymous id, the dates, how it was collected and by
 * which staff account, and the wording shown, from which the person's name, e-mail and phone are
 * redacted so nothing identifying outlives the erasure.
 */
export function withdrawConsent(
  engine: Engine,
  id: string,
  by: string,
): { withdrawn: number; erased: ErasureResult | null } {
  const store = engine.store;
  const kind = subjectKind(id);
  const people = personIds(store, id, kind);
  const result = withVectorRollback(engine, people, () => {
    const open = store.subjects.openConsents(id);
    if (open.length === 0)
      throw new VigilError('NOT_FOUND', `No consent of ${id} is on record that has not been withdrawn.`);
    const m = kind === 'member' ? store.members.get(id) : undefined;
    const identifying = [m?.name, m?.email, m?.phone].filter((v): v is string => !!v && v.trim().length > 1);
    const redact = (t: string) =>
      identifying.reduce((s, v) => s.replace(new RegExp(escapeRegExp(v.trim()), 'giu'), '[erased]'), t);
    const at = new Date().toISOString();
    for (const c of open) store.subjects.withdrawConsent(c.consent_id, at, redact(c.text));
    store.audit.append({
      actor: by,
      action: 'consent_withdrawn',
      subject: id,
      details: { consents: open.length },
    });
    const erased = eraseInTransaction(engine, id, by, { keepConsents: true, mustExist: false });
    return { withdrawn: open.length, erased };
  });
  checkpoint(store);
  return result;
}
