import { readFile } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, mimeTypeOf, resolveAppFile } from './policy.js';

/**
 * Must run before the app is ready. `standard` gives vigil://app a real origin (relative URLs,
 * 'self', the sender check); `secure` makes it a secure context, which the camera requires. No
 * other privilege: no CSP bypass, no fetch or CORS from the page, no service workers.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true } },
  ]);
}

const headers = (type: string): Record<string, string> => ({
  'content-type': type,
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
});

/** Serves the console's bundled files (dist/renderer) at vigil://app/, read-only. */
export function serveApp(session: Session, root: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response(null, { status: 405, headers: headers('text/plain') });
    const file = resolveAppFile(root, request.url);
    if (file) {
      try {
        const body = await readFile(file);
        return new Response(request.method === 'HEAD' ? null : body, {
          status: 200,
          headers: headers(mimeTypeOf(file)),
        });
      } catch {
        // Missing or unreadable: answered as not found below.
      }
    }
    return new Response('Not found', { status: 404, headers: headers('text/plain; charset=utf-8') });
  });
}
