/**
 * An audit row's details (a JSON object of ids, counts and settings) as a line a person reads:
 * "before → after" for a changed setting, with each changed field named, "key: value" otherwise.
 */
export function readableDetails(details: string): string {
  let o: unknown;
  try {
    o = JSON.parse(details);
  } catch {
    return details;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return details;
  const rec = o as Record<string, unknown>;
  if (Object.keys(rec).length === 0) return '—';
  if ('before' in rec && 'after' in rec) return changes(parse(rec.before), parse(rec.after)).join(' · ');
  return Object.entries(rec)
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${show(v)}`)
    .join(' · ');
}

function parse(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The fields that differ, as "path: before → after" (nested objects flattened with dots). */
function changes(before: unknown, after: unknown, path = ''): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> =>
    !!x && typeof x === 'object' && !Array.isArray(x);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changes(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [`${path ? `${path}: ` : ''}${show(before)} → ${show(after)}`];
}
