import { create } from 'zustand';
import type { RecentRecognition, RecognitionEventView } from '../../../main/contract/contract.js';
import { api, call } from '../api.js';

/** Enough to scroll back over the last minutes; older ones are in the appearances report. */
export const FEED_CAP = 100;

export type FeedDecision = 'member' | 'seen_before' | 'new_unknown';

export interface FeedItem {
  key: string;
  at: number;
  camera_id: string | null;
  person_kind: 'member' | 'unknown';
  person_id: string;
  name: string;
  /** Cosine similarity to the decided identity; null for a stranger seen for the first time. */
  similarity: number | null;
  decision: FeedDecision;
  possible_member?: RecognitionEventView['possible_member'];
}

export function fromEvent(e: RecognitionEventView): FeedItem {
  const member = e.kind === 'known_member';
  return {
    key: `t:${e.camera_id}:${e.track_id}:${e.at}`,
    at: e.at,
    camera_id: e.camera_id,
    person_kind: member ? 'member' : 'unknown',
    person_id: (member ? e.member_id : e.unknown_id) ?? e.name,
    name: e.name,
    similarity: e.similarity ?? (e.kind === 'new_unknown' ? null : e.confidence),
    decision: member ? 'member' : e.kind === 'new_unknown' ? 'new_unknown' : 'seen_before',
    ...(e.possible_member ? { possible_member: e.possible_member } : {}),
  };
}

export function fromAppearance(a: RecentRecognition): FeedItem {
  return {
    key: `a:${a.appearance_id}`,
    at: Date.parse(a.first_seen),
    camera_id: a.camera_id,
    person_kind: a.person_kind,
    person_id: a.person_id,
    name: a.name,
    similarity: a.similarity,
    decision: a.person_kind === 'member' ? 'member' : a.similarity === null ? 'new_unknown' : 'seen_before',
  };
}

/** Newest first, one entry per key, at most FEED_CAP. */
export function mergeFeed(current: FeedItem[], incoming: FeedItem[]): FeedItem[] {
  const seen = new Set<string>();
  return [...incoming, ...current]
    .filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true)))
    .sort((a, b) => b.at - a.at)
    .slice(0, FEED_CAP);
}

interface FeedState {
  items: FeedItem[];
  /** The back-fill's sentence when it failed (the live events still arrive). */
  error: string | null;
  add(items: FeedItem[]): void;
  clear(): void;
}

export const useFeed = create<FeedState>()((set) => ({
  items: [],
  error: null,
  add: (items) => set((s) => ({ items: mergeFeed(s.items, items) })),
  clear: () => set({ items: [], error: null }),
}));

/**
 * Starts the feed for a signed-in console: the live recognitions, and the latest appearances from
 * the engine so a guard starting a shift sees who was just seen. Kept in a store, not a page, so
 * it survives page changes. Returns the stop function (sign-out).
 */
export function startFeed(): () => void {
  const stop = api.onEvent((e) => {
    if (e.type === 'recognition') useFeed.getState().add([fromEvent(e)]);
  });
  const backfill = () =>
    call('appearances.recent', { limit: 50 }).then(
      (rows) => {
        // A live event and the appearance it wrote are one sighting: skip appearances already
        // shown from an event at about the same time, same person and camera.
        const live = useFeed.getState().items.filter((i) => i.key.startsWith('t:'));
        const fresh = rows
          .map(fromAppearance)
          .filter(
            (a) =>
              !live.some(
                (l) =>
                  l.person_id === a.person_id &&
                  l.camera_id === a.camera_id &&
                  Math.abs(l.at - a.at) < 60_000,
              ),
          );
        useFeed.setState((s) => ({ items: mergeFeed(s.items, fresh), error: null }));
      },
      (e: unknown) => useFeed.setState({ error: e instanceof Error ? e.message : String(e) }),
    );
  void backfill();
  return () => {
    stop();
    useFeed.getState().clear();
  };
}
