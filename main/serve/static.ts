import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { consoleCsp, mimeTypeOf, resolveConsoleFile } from './console-files.js';

/** The browser console connects back to this server's WebSocket. */
export const CONTENT_SECURITY_POLICY = consoleCsp("'self' ws: wss:");

/**
 * Serves the built console from one folder. Paths are normalised and must stay inside it;
 * anything unknown falls back to index.html (the console routes in the page).
 */
export function serveStatic(root: string, urlPath: string, res: ServerResponse): void {
  const headers = {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
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
  createReadStream(file).pipe(res);
}
