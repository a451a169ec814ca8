import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The Electron executable, or null when the package was installed without its binary. */
export function electronBinaryPath(): string | null {
  try {
    // The electron package's main export is the binary's path; it throws without path.txt.
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}
