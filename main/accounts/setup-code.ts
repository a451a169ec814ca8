import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import { needsSetup } from './users.js';

/**
 * The one-time code that creates the first administrator. Whoever started `vigil serve` sees it
 * on its output (the desktop app shows it too), so a web page, a DNS-rebinding site or a client
 * behind a reverse proxy on the same host cannot take the empty installation. It is good until an
 * administrator exists.
 */

/** Crockford's base32: no I, L, O or U to misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `7KQ3-M9XD`: 40 random bits. */
export function newSetupCode(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

/** Case, spaces and dashes do not matter; the letters people confuse are mapped like Crockford's. */
function canonical(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0').slice(0, 32);
}

export class SetupCode {
  private readonly code = newSetupCode();

  constructor(private readonly store: () => Store) {}

  /** The code while setup is still open; null once an administrator exists. */
  current(): string | null {
    return needsSetup(this.store()) ? this.code : null;
  }

  /** Constant-time check of a code typed at the console. */
  matches(given: string | undefined | null): boolean {
    if (typeof given !== 'string' || this.current() === null) return false;
    const a = Buffer.from(canonical(given));
    const b = Buffer.from(canonical(this.code));
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
