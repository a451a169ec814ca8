import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the desktop app keeps its data (Electron's userData for an app named Vigil). */
export function defaultDataDir(): string {
  const home = homedir();
  if (process.platform === 'win32')
    return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Vigil');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'Vigil');
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Vigil');
}

/** --data-dir, else VIGIL_DATA_DIR, else the OS user-data folder. */
export function resolveDataDir(flag: string | undefined): string {
  // An empty variable is unset (as for the settings' variables); an empty --data-dir is refused later.
  return flag ?? (process.env.VIGIL_DATA_DIR || undefined) ?? defaultDataDir();
}
