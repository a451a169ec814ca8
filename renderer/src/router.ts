import { create } from 'zustand';
import { PAGE_IDS, type PageId } from './components/nav.js';

/**
 * Page addresses in the URL's hash (`#/review/UNKNOWN_…`, `#/alerts`): a reload stays on the page,
 * Back returns to the previous one, and a link can open a person. The hash works the same under
 * `vigil serve` and the desktop shell's `vigil://app/` origin, where there is no server routing.
 */
export interface Route {
  page: PageId | null;
  /** The person, camera or alert the page should open, when the address names one. */
  id: string | null;
}

export function parseHash(hash: string): Route {
  const [page, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const known = (PAGE_IDS as readonly string[]).includes(page ?? '') ? (page as PageId) : null;
  let id: string | null = null;
  if (known && rest.length) {
    try {
      id = decodeURIComponent(rest.join('/')) || null;
    } catch {
      id = null;
    }
  }
  return { page: known, id };
}

export function hrefOf(page: PageId, id?: string | null): string {
  return `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}`;
}

export const useRoute = create<Route>()(() =>
  typeof window === 'undefined' ? { page: null, id: null } : parseHash(window.location.hash),
);

if (typeof window !== 'undefined')
  window.addEventListener('hashchange', () => useRoute.setState(parseHash(window.location.hash)));

/** Goes to a page (a new history entry, so Back returns here). */
export function navigate(page: PageId, id?: string | null): void {
  const href = hrefOf(page, id);
  if (window.location.hash === href) return;
  window.location.hash = href;
  // jsdom and some shells fire hashchange late or not at all; the store follows at once.
  useRoute.setState(parseHash(href));
}

/** Where a person opens: members on the Members page, unknown persons in Review. */
export function personHref(kind: 'member' | 'unknown' | string | null, id: string): string {
  return hrefOf(kind === 'member' ? 'members' : 'review', id);
}
