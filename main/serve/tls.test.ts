import { mkdtempSync, statSync } from 'node:fs';
import { get } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import { Engine } from '../engine/engine.js';
import { Pipeline } from '../engine/pipeline.js';
import { packageRoot } from '../paths.js';
import { VigilServer } from './server.js';
import { selfSignedTls, type TlsMaterial } from './tls.js';

/** HTTPS with a self-signed certificate made on first use, pinned by its fingerprint. */
describe('vigil serve over TLS', () => {
  let engine: Engine;
  let server: VigilServer;
  let tls: TlsMaterial;
  let port = 0;

  const fetchTls = (path: string) =>
    new Promise<{ status: number; headers: Record<string, unknown>; fingerprint: string | undefined }>(
      (resolve, reject) => {
        const req = get(
          {
            host: '127.0.0.1',
            port,
            path,
            rejectUnauthorized: false,
            headers: { host: `127.0.0.1:${port}` },
          },
          (res) => {
            res.resume();
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              fingerprint: (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256,
            });
          },
        );
        req.on('error', reject);
      },
    );

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    engine = Engine.open({ dataDir: dir });
    tls = selfSignedTls(dir, '0.0.0.0');
    server = new VigilServer(engine, new Pipeline(engine, { ffmpegPath: 'ffmpeg' }), {
      host: '127.0.0.1',
      port: 0,
      token: 'tls-test-token',
      api: new Api(handlers),
      rendererDir: join(packageRoot(), 'dist', 'renderer'),
      pack: 'default',
      version: 'test',
      tls: { cert: tls.cert, key: tls.key },
      timeouts: { headersMs: 1_500, requestMs: 3_000, idleMs: 2_000 },
    });
    port = await server.listen();
  });
  afterAll(async () => {
    await server?.close();
    engine?.close();
  });

  it('serves the console over HTTPS with HSTS and the certificate it printed', async () => {
    expect(tls.selfSigned).toBe(true);
    expect(tls.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(statSync(join(engine.dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
    const page = await fetchTls('/');
    expect(page.fingerprint).toBe(tls.fingerprint);
    expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(String(page.headers['content-security-policy'])).toContain("connect-src 'self';");
    // The same certificate on the next start: a fingerprint people checked stays valid.
    expect(selfSignedTls(engine.dataDir, '0.0.0.0').fingerprint).toBe(tls.fingerprint);
  });

  it('closes connections that never finish their TLS handshake (slowloris before TLS)', async () => {
    const open = (bytes?: Buffer) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.resume();
      if (bytes) s.write(bytes);
      return new Promise<void>((resolve) => s.once('close', () => resolve()));
    };
    // One says nothing; one starts a ClientHello record and never completes it.
    await Promise.all([open(), open(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))]);
    expect((await fetchTls('/')).status).toBe(200);
  }, 20_000);

  it('does not serve source maps', async () => {
    expect((await fetchTls('/assets/app.js.map')).status).toBe(404);
  });
});
