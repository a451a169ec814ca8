import Avatar from '@mui/material/Avatar';
import { useEffect, useState } from 'react';
import { call } from '../api.js';
import { useSession } from '../store/session.js';

/**
 * Decrypted crops by unknown id, fetched once per console session: every view is audited by the
 * engine, and a list of alerts or a feed would otherwise ask again on each render.
 */
const crops = new Map<string, Promise<string | null>>();
const RETRY_MS = 5000;

export function forgetCrops(): void {
  crops.clear();
}

function cropUrl(id: string): Promise<string | null> {
  let p = crops.get(id);
  if (!p) {
    p = call('unknowns.crop', { id }).then(
      (c) => `data:${c.mime};base64,${c.data}`,
      () => {
        // A new stranger's crop is written just after they are announced: ask again later.
        setTimeout(() => crops.delete(id), RETRY_MS);
        return null;
      },
    );
    crops.set(id, p);
  }
  return p;
}

function initials(name: string): string {
  if (/^(UNKNOWN|MEMBER)_/.test(name)) return '?';
  const parts = name.trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase() || '?';
}

/**
 * A small face for a person: the unknown's best-face crop for roles allowed to see crops, else
 * their initials (members are stored as embeddings only; there is no photo to show).
 */
export function PersonThumb({
  kind,
  id,
  name,
  hasCrop,
  size = 40,
}: {
  kind: 'member' | 'unknown' | string | null;
  id: string;
  name: string;
  hasCrop: boolean;
  size?: number;
}) {
  const canSee = useSession((s) => s.can('unknowns.view_crop'));
  const wanted = canSee && hasCrop && kind === 'unknown';
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (tries: number) =>
      void cropUrl(id).then((u) => {
        if (!live) return;
        setSrc(u);
        if (u === null && tries > 1) timer = setTimeout(() => load(tries - 1), RETRY_MS + 100);
      });
    load(3);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, wanted]);
  return (
    <Avatar
      variant="rounded"
      src={wanted && src ? src : undefined}
      alt={wanted && src ? `Face of ${name}` : ''}
      data-testid={wanted && src ? 'person-thumb' : 'person-initials'}
      sx={{
        width: size,
        height: size,
        fontSize: size / 2.6,
        bgcolor: kind === 'member' ? 'success.dark' : 'warning.dark',
      }}
    >
      {initials(name)}
    </Avatar>
  );
}
