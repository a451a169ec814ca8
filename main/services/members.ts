import type { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import { eraseSubject, type ErasureResult } from './subjects.js';
import { parseAllowedHours, type MemberRow } from '../store/members.js';

/** What an operator may change about a member's access (console status controls, `vigil members`). */
export interface AccessChange {
  status?: 'active' | 'suspended';
  watchlist?: boolean;
  /** "HH:MM-HH:MM", or "any"/null for no limit. */
  allowedHours?: string | null;
}

function mustGet(engine: Engine, id: string): MemberRow {
  const m = engine.store.members.get(id);
  if (!m) throw new VigilError('NOT_FOUND', `No member with id ${id}.`);
  return m;
}

/**
 * Suspends, activates, watch-lists or limits the hours of a member, audited. A member whose
 * processing is restricted (a data-subject request) cannot be activated or suspended from here:
 * only lifting the restriction (`vigil subject restrict --lift`, console Privacy) puts them back
 * into matching, so that the request is never undone by a status button.
 */
export function changeMemberAccess(
  engine: Engine,
  actor: string,
  id: string,
  change: AccessChange,
): MemberRow {
  const store = engine.store;
  const hours = change.allowedHours === undefined ? undefined : parseAllowedHours(change.allowedHours);
  store.transaction(() => {
    const m = mustGet(engine, id);
    if (m.status === 'restricted' && change.status)
      throw new VigilError(
        'CONFLICT',
        'This member’s processing is restricted (data-subject request); lift the restriction first.',
      );
    if (change.status) store.members.setStatus(id, change.status);
    if (change.watchlist !== undefined || hours !== undefined)
      store.members.setAccess(id, {
        ...(change.watchlist === undefined ? {} : { watchlist: change.watchlist }),
        ...(hours === undefined ? {} : { allowedHours: hours }),
      });
    store.audit.append({
      actor,
      action: 'member_updated',
      subject: id,
      details: {
        status: change.status ?? null,
        watchlist: change.watchlist ?? null,
        allowed_hours: hours === undefined ? null : (hours ?? 'any'),
      },
    });
  }, 'immediate');
  return mustGet(engine, id);
}

/**
 * Deleting a member is the full erasure of `vigil subject erase`: row, vectors, appearances,
 * alerts, crops, consent records and the unknown-person cases converted into them. Only the audit
 * log keeps that an erasure happened (its id and counts, never the name).
 */
export function deleteMember(engine: Engine, actor: string, id: string): ErasureResult {
  mustGet(engine, id);
  return eraseSubject(engine, id, actor);
}
