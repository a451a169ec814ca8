import { writeFileSync } from 'node:fs';
import { VigilError, describeError } from '../errors.js';
import { dismissUnknown } from '../services/review.js';
import { changeMemberAccess, deleteMember, type AccessChange } from '../services/members.js';
import { printable, UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

export async function runEnroll(
  g: GlobalOptions,
  a: { name?: string; apartment?: string; email?: string; phone?: string; photos: string[] },
): Promise<number> {
  if (!a.name) throw new UsageError('enroll needs --name NAME');
  if (a.photos.length === 0) throw new UsageError('enroll needs at least one photo');
  const result = await withEngine(g, (e) =>
    e.enroll(
      { name: a.name!, apartment: a.apartment ?? null, email: a.email ?? null, phone: a.phone ?? null },
      a.photos,
    ),
  );
  g.out.result(result, () =>
    [
      `Enrolled ${a.name} as ${result.member_id} from ${result.embeddings_count} photo(s), quality ${result.quality_score}.`,
      ...result.rejected.map((r) => `  rejected ${r.photo}: ${r.reason}`),
      ...result.warnings.map((w) => `  warning: ${w}`),
    ].join('\n'),
  );
  return 0;
}

export async function runIdentify(g: GlobalOptions, images: string[], cameraId?: string): Promise<number> {
  if (images.length === 0) throw new UsageError('identify needs at least one image');
  let failed = 0;
  await withEngine(g, async (e) => {
    if (cameraId && !e.store.cameras.get(cameraId)) {
      throw new VigilError('NOT_FOUND', `No camera with id ${cameraId}.`);
    }
    for (const image of images) {
      try {
        const faces = await e.identify(image, cameraId ? { cameraId } : {});
        g.out.result({ image, faces }, () =>
          faces.length === 0
            ? `${printable(image)}: no face found`
            : `${printable(image)}:\n` +
              faces
                .map(
                  (f) =>
                    `  ${f.type.padEnd(17)} ${printable(f.name)} (${f.confidence.toFixed(2)}) at [${f.bbox.join(', ')}]`,
                )
                .join('\n'),
        );
      } catch (err) {
        if (!(err instanceof VigilError)) throw err;
        failed++;
        g.out.result(
          { image, error: describeError(err) },
          () => `${printable(image)}: ${printable(describeError(err))}`,
        );
      }
    }
  });
  if (failed > 0) {
    process.stderr.write(`vigil: ${failed} of ${images.length} image(s) could not be read\n`);
    return 1;
  }
  return 0;
}

export async function runMembers(g: GlobalOptions, args: string[]): Promise<number> {
  const [sub, id] = args;
  return withEngine(g, (e) => {
    switch (sub) {
      case 'list': {
        const rows = e.store.members.list().map((m) => ({
          member_id: m.member_id,
          name: m.name,
          apartment: m.apartment,
          status: m.status,
          embeddings_count: e.store.vectors.vectorsOf('member', m.member_id).filter((v) => !v.isCentroid)
            .length,
          last_seen: m.last_seen,
          total_appearances: m.total_appearances,
        }));
        g.out.result(rows, () =>
          rows.length === 0
            ? 'No members.'
            : rows.map((m) => `${m.member_id}  ${m.name}  (${m.status})`).join('\n'),
        );
        return 0;
      }
      case 'show': {
        if (!id) throw new UsageError('members show needs a member id');
        const m = e.store.members.get(id);
        if (!m) throw new VigilError('NOT_FOUND', `No member with id ${id}.`);
        const embeddings = e.store.vectors.vectorsOf('member', id).filter((v) => !v.isCentroid).length;
        const detail = { ...m, embeddings_count: embeddings };
        g.out.result(detail, () =>
          Object.entries(detail)
            .map(([k, v]) => `${k}: ${v ?? ''}`)
            .join('\n'),
        );
        return 0;
      }
      case 'delete': {
        if (!id) throw new UsageError('members delete needs a member id');
        deleteMember(e, 'cli', id);
        g.out.result({ member_id: id, deleted: true }, () => `Deleted member ${id} and all their data.`);
        return 0;
      }
      case 'suspend':
      case 'activate':
      case 'watchlist':
      case 'hours': {
        if (!id) throw new UsageError(`members ${sub} needs a member id`);
        const value = args[2];
        let change: AccessChange;
        if (sub === 'suspend' || sub === 'activate')
          change = { status: sub === 'suspend' ? 'suspended' : 'active' };
        else if (sub === 'watchlist') {
          if (value !== 'on' && value !== 'off') throw new UsageError('members watchlist ID on|off');
          change = { watchlist: value === 'on' };
        } else {
          if (value === undefined) throw new UsageError('members hours ID HH:MM-HH:MM|any');
          change = { allowedHours: value };
        }
        // The console's rules (a restricted member stays out of matching), audited the same way.
        const m = changeMemberAccess(e, 'cli', id, change);
        const out = {
          member_id: id,
          status: m.status,
          watchlist: m.watchlist === 1,
          allowed_hours: m.allowed_hours,
        };
        g.out.result(
          out,
          () =>
            `${id}: ${m.status}, watch list ${out.watchlist ? 'on' : 'off'}, allowed hours ${m.allowed_hours ?? 'any'}.`,
        );
        return 0;
      }
      default:
        throw new UsageError(
          'members takes list, show ID, delete ID, suspend ID, activate ID, watchlist ID on|off or hours ID HH:MM-HH:MM|any',
        );
    }
  });
}

export async function runUnknowns(g: GlobalOptions, args: string[], out?: string): Promise<number> {
  const [sub, id] = args;
  if (sub === 'dismiss') {
    if (!id) throw new UsageError('unknowns dismiss needs an unknown id');
    return withEngine(g, (e) => {
      dismissUnknown(e, id, null, 'cli');
      g.out.result(
        { unknown_id: id, status: 'dismissed' },
        () => `Dismissed ${id}; its face crop was deleted.`,
      );
      return 0;
    });
  }
  if (sub === 'crop') {
    if (!id || !out) throw new UsageError('unknowns crop needs an unknown id and --out FILE');
    return withEngine(g, (e) => {
      const jpeg = e.readCrop(id);
      writeFileSync(out, jpeg, { mode: 0o600 });
      e.store.audit.append({ actor: 'cli', action: 'crop_viewed', subject: id });
      g.out.result(
        { unknown_id: id, out, bytes: jpeg.length },
        () => `Wrote the face crop of ${id} to ${out}.`,
      );
      return 0;
    });
  }
  if (sub !== 'list') throw new UsageError('unknowns takes list, dismiss ID or crop ID --out FILE');
  return withEngine(g, (e) => {
    const rows = e.store.unknowns.list().map((u) => ({
      unknown_id: u.unknown_id,
      appearance_count: u.appearance_count,
      cameras: JSON.parse(u.cameras) as string[],
      first_seen: u.first_seen,
      last_seen: u.last_seen,
      status: u.status,
    }));
    g.out.result(rows, () =>
      rows.length === 0
        ? 'No unknown persons.'
        : rows
            .map((u) => `${u.unknown_id}  seen ${u.appearance_count}×, last ${u.last_seen}  (${u.status})`)
            .join('\n'),
    );
    return 0;
  });
}
