import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type ConnectionOptions, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedTls, type TlsMaterial } from '../serve/tls.js';
import { CertificatePinError, normalizeFingerprint, pinnedTlsOptions } from './pinned-tls.js';

/** Real TLS servers with self-signed certificates, as `vigil serve` makes them. */
describe('pinning a server by its certificate fingerprint', () => {
  let real: TlsMaterial;
  let other: TlsMaterial;
  const servers: { server: Server; port: number; received: string[] }[] = [];

  async function serve(cert: TlsMaterial) {
    const received: string[] = [];
    const server = createServer({ cert: cert.cert, key: cert.key }, (s) => {
      s.on('data', (d: Buffer) => received.push(d.toString()));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const s = { server, port: (server.address() as { port: number }).port, received };
    servers.push(s);
    return s;
  }

  /** Connects with these options and sends a secret; resolves whether the handshake was accepted. */
  function send(port: number, opts: ConnectionOptions): Promise<{ ok: boolean; error?: string }> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ...opts });
      socket.write('secret');
      socket.once('secureConnect', () => {
        socket.end();
        resolve({ ok: true });
      });
      socket.once('error', (e) => resolve({ ok: false, error: e.message }));
    });
  }

  const settle = () => new Promise((r) => setTimeout(r, 200));

  beforeAll(() => {
    real = selfSignedTls(mkdtempSync(join(tmpdir(), 'vigil-pin-a-')), '127.0.0.1');
    other = selfSignedTls(mkdtempSync(join(tmpdir(), 'vigil-pin-b-')), '127.0.0.1');
  });
  afterAll(() => {
    for (const s of servers) s.server.close();
  });

  it('normalizes the forms a fingerprint is written in', () => {
    expect(normalizeFingerprint('AB:cd:01')).toBe('abcd01');
    expect(normalizeFingerprint(' abCD01 ')).toBe('abcd01');
  });

  it('accepts the pinned certificate and the data reaches the server', async () => {
    const a = await serve(real);
    const opts = await pinnedTlsOptions('127.0.0.1', a.port, real.fingerprint.toLowerCase());
    expect(await send(a.port, opts)).toEqual({ ok: true });
    await settle();
    expect(a.received.join('')).toBe('secret');
  });

  it('refuses a server presenting another certificate, in one sentence', async () => {
    const x = await serve(other);
    const refusal = pinnedTlsOptions('127.0.0.1', x.port, real.fingerprint);
    await expect(refusal).rejects.toBeInstanceOf(CertificatePinError);
    await expect(refusal).rejects.toThrow(
      /^The server at 127\.0\.0\.1:\d+ presented a certificate with another fingerprint than the one expected\.$/,
    );
  });

  it('options made for one server are refused in the handshake by another: nothing is sent', async () => {
    // The certificate changed between the look and the connection (someone took over the address).
    const a = await serve(real);
    const x = await serve(other);
    const opts = await pinnedTlsOptions('127.0.0.1', a.port, real.fingerprint);
    const r = await send(x.port, opts);
    expect(r.ok).toBe(false);
    await settle();
    expect(x.received).toEqual([]);
  });

  it('says when nothing answers', async () => {
    const x = await serve(other);
    const port = x.port;
    await new Promise<void>((r) => x.server.close(() => r()));
    await expect(pinnedTlsOptions('127.0.0.1', port, real.fingerprint)).rejects.not.toBeInstanceOf(
      CertificatePinError,
    );
  });
});
