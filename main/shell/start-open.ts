import { spawn } from 'node:child_process';

/** The platform's "open this URL" command, or null where none can show a browser. */
export function browserOpener(platform = process.platform, env = process.env): [string, string[]] | null {
  if (env.VIGIL_NO_BROWSER) return null;
  if (platform === 'darwin') return ['open', []];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""']];
  // A Linux without a display session has no browser to show the page in.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return ['xdg-open', []];
}

export function openBrowser(url: string): void {
  const opener = browserOpener();
  if (!opener) return;
  const [cmd, args] = opener;
  const child = spawn(cmd, [...args, url], { stdio: 'ignore', detached: true });
  // No opener installed, or it failed: the URL is printed already.
  child.on('error', () => undefined);
  child.unref();
}
