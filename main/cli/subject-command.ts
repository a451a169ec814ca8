import { writeFileSync } from 'node:fs';
import {
  eraseSubject,
  exportSubject,
  recordConsent,
  restrictSubject,
  subjectPdf,
  withdrawConsent,
} from '../services/subjects.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

const ACTOR = 'cli';

/** vigil subject export ID [--out F] | erase ID | restrict ID [--lift] */
export async function runSubject(
  g: GlobalOptions,
  args: string[],
  opts: { out?: string | undefined; lift: boolean },
): Promise<number> {
  const [sub, id] = args;
  if (!sub || !['export', 'erase', 'restrict'].includes(sub))
    throw new UsageError('subject takes export ID [--out FILE], erase ID or restrict ID [--lift]');
  if (!id) throw new UsageError(`subject ${sub} needs a MEMBER_ or UNKNOWN_ id`);
  return withEngine(g, async (e) => {
    if (sub === 'export') {
      const data = exportSubject(e, id, ACTOR);
      if (!opts.out) {
        process.stdout.write(`${g.out.json ? JSON.stringify(data) : JSON.stringify(data, null, 2)}\n`);
        return 0;
      }
      const pdf = opts.out.toLowerCase().endsWith('.pdf');
      // Personal data: readable by the file's owner only.
      writeFileSync(opts.out, pdf ? await subjectPdf(data) : `${JSON.stringify(data, null, 2)}\n`, {
        mode: 0o600,
      });
      g.out.result(
        { subject_id: id, out: opts.out, format: pdf ? 'pdf' : 'json' },
        () => `Wrote everything held about ${id} to ${opts.out}.`,
      );
      return 0;
    }
    if (sub === 'erase') {
      const r = eraseSubject(e, id, ACTOR);
      g.out.result(
        r,
        () =>
          `Erased ${id}: ${r.vectors} face templates, ${r.appearances} sightings, ${r.alerts} alerts, ${r.crops} face crops, ${r.consents} consent records.`,
      );
      return 0;
    }
    restrictSubject(e, id, !opts.lift, ACTOR);
    g.out.result({ subject_id: id, restricted: !opts.lift }, () =>
      opts.lift
        ? `Lifted the restriction on ${id}: they are matched again.`
        : `Restricted ${id}: kept, but no longer recognised.`,
    );
    return 0;
  });
}

/** vigil consent record ID --text T | withdraw ID */
export async function runConsent(
  g: GlobalOptions,
  args: string[],
  opts: { text?: string | undefined },
): Promise<number> {
  const [sub, id] = args;
  if (sub !== 'record' && sub !== 'withdraw')
    throw new UsageError('consent takes record ID --text TEXT or withdraw ID');
  if (!id) throw new UsageError(`consent ${sub} needs a MEMBER_ or UNKNOWN_ id`);
  if (sub === 'record' && !opts.text?.trim()) throw new UsageError('consent record needs --text TEXT');
  return withEngine(g, (e) => {
    if (sub === 'record') {
      const consentId = recordConsent(e, id, opts.text!, 'console', ACTOR);
      g.out.result(
        { subject_id: id, consent_id: consentId },
        () => `Recorded consent ${consentId} of ${id}.`,
      );
      return 0;
    }
    const r = withdrawConsent(e, id, ACTOR);
    g.out.result(
      { subject_id: id, withdrawn: r.withdrawn, erased: r.erased !== null },
      () =>
        `Recorded the withdrawal of consent by ${id}${r.erased ? ' and erased their data' : '; no data of theirs remained'}.`,
    );
    return 0;
  });
}

/** vigil audit verify: exit 0 when the hash chain is intact, 1 naming the first bad row. */
export async function runAudit(g: GlobalOptions, args: string[]): Promise<number> {
  if (args[0] !== 'verify') throw new UsageError('audit takes verify');
  return withEngine(g, (e) => {
    const v = e.store.audit.verify();
    const verdict = {
      ok: v.ok,
      rows: v.rows,
      first_bad: v.firstBad,
      anchor: v.anchor ?? null,
      ...(v.problem ? { problem: v.problem } : {}),
    };
    if (v.ok) {
      g.out.result(
        verdict,
        () => `audit chain intact: ${v.rows} rows${v.anchor === 'ok' ? ', anchor matches' : ''}`,
      );
      return 0;
    }
    if (g.out.json) g.out.result(verdict, () => '');
    else
      process.stderr.write(
        v.firstBad
          ? `vigil: audit chain broken at row ${v.firstBad}: ${v.problem ?? 'it was changed, or a row before it was removed'}.\n`
          : `vigil: audit log tampered: ${v.problem ?? 'the anchor does not match'}.\n`,
      );
    return 1;
  });
}
