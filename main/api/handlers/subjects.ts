import {
  eraseSubject,
  exportSubject,
  recordConsent,
  restrictSubject,
  subjectPdf,
  withdrawConsent,
} from '../../services/subjects.js';
import { actorOf, type Handlers } from '../context.js';

/** Data-subject rights; each function audits what it did (ids and counts only). */
export const subjectsHandlers: Pick<
  Handlers,
  'subjects.export' | 'subjects.erase' | 'subjects.restrict' | 'consent.record' | 'consent.withdraw'
> = {
  'subjects.export': async (ctx, p) => {
    const data = exportSubject(ctx.engine, p.id, actorOf(ctx));
    const pdf = await subjectPdf(data);
    return {
      subject_id: data.subject_id,
      kind: data.kind,
      generated_at: data.generated_at,
      json: data,
      pdf: pdf.toString('base64'),
    };
  },
  'subjects.erase': (ctx, p) => {
    eraseSubject(ctx.engine, p.id, actorOf(ctx));
    return { ok: true };
  },
  'subjects.restrict': (ctx, p) => {
    restrictSubject(ctx.engine, p.id, p.restricted, actorOf(ctx));
    return { ok: true };
  },
  'consent.record': (ctx, p) => {
    recordConsent(ctx.engine, p.id, p.text, 'console', actorOf(ctx));
    return { ok: true };
  },
  'consent.withdraw': (ctx, p) => {
    withdrawConsent(ctx.engine, p.id, actorOf(ctx));
    return { ok: true };
  },
};
