import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import { resolveDataDir } from '../config/data-dir.js';
import { attachLogFile } from '../logs/log-file.js';
import { parseShellArgs } from './policy.js';
import { registerAppScheme } from './protocol.js';

/**
 * Everything that must happen before Electron's `ready`. The main process is an ES module, and
 * only the side effects of the entry's imports are certain to run before `ready` (Electron's ESM
 * notes), so this module is app.ts's first import rather than code in app.ts itself.
 */

export const args = parseShellArgs(process.argv);

/** The CLI's data folder (--data-dir, VIGIL_DATA_DIR, else the OS user-data folder "Vigil"). */
export const dataDir = resolveDataDir(args.dataDir);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });

// One folder for the engine and Electron, so the CLI and the desktop share it; Chromium's own
// caches and storage go to a subfolder instead of beside the database.
app.setPath('userData', dataDir);
app.setPath('sessionData', join(dataDir, 'console'));

registerAppScheme();

/** False in a second instance on the same data folder: it hands over to the first and quits. */
export const primary = app.requestSingleInstanceLock();

// The desktop app's structured log, rotated and size-capped in the data folder (Settings → Logs).
if (primary) attachLogFile(dataDir);
