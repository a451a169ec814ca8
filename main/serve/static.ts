import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { consoleCsp, mimeTypeOf, resolveConsoleFile } from './console-files.js';

/**
 * The browser console connects back only to the server that served it: `'self'` covers its
 * WebSocket on the same host and port (CSP Level 3), so no other host is reachable from the page.
 */
export const CONTENT_SECURITY_POLICY = consoleCsp("'self'");

/** `https://vigil.example.org` also allows `wss://vigil.example.org`. */
function withSocketScheme(origin: string): string[] {
  const o = origin.trim().replace(/\/$/, '');
  if (o.startsWith('https://')) return [o, `wss://${o.slice(8)}`];
  if (o.startsWith('http://')) return [o, `ws://${o.slice(7)}`];
  return [];
}

/** The headers of every console file: the policy (plus configured origins), and HSTS on TLS. */
export function consoleHeaders(extraOrigins: readonly string[], tls: boolean): Record<string, string> {
  const connect = ["'self'", ...extraOrigins.flatMap(withSocketScheme)].join(' ');
  return {
    'content-security-policy': consoleCsp(connect),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    ...(tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

export interface StaticOptions {
  headers?: Record<string, string>;
  /** Serve *.map files (the whole source); off unless asked for. */
  sourceMaps?: boolean;
}

/**
 * Serves the built console from one folder. Paths are normalised and must stay inside it;
 * anything unknown falls back to index.html (the console routes in the page).
 */
export function serveStatic(
  root: string,
  urlPath: string,
  res: ServerResponse,
  opts: StaticOptions = {},
): void {
  const headers = opts.headers ?? consoleHeaders([], false);
  if (!opts.sourceMaps && urlPath.toLowerCase().endsWith('.map')) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found.');
    return;
  }
  const found = resolveConsoleFile(root, urlPath);
  const index = join(root, 'index.html');
  const file = found && existsSync(found) && statSync(found).isFile() ? found : index;
  if (!existsSync(file)) {
    res
      .writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
      .end('The console is not built: run npm run build.');
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': mimeTypeOf(file),
    'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=300',
  });
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
