import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type PeerCertificate, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedTls, type TlsMaterial } from '../serve/tls.js';
import { caSigned } from '../testing/certificates.js';
import { CertificatePinError, normalizeFingerprint, pinCheck, pinnedTlsSocket } from './pinned-tls.js';

/** Real TLS servers with self-signed certificates, as `vigil serve` makes them. */
describe('pinning a server by its certificate fingerprint', () => {
  let real: TlsMaterial;
  let other: TlsMaterial;
  const servers: { server: Server; port: number; received: string[] }[] = [];

  async function serve(cert: { cert: Buffer; key: Buffer }) {
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

  it('hands over the connection to the pinned certificate, and the data reaches the server', async () => {
    const a = await serve(real);
    const socket = await pinnedTlsSocket('127.0.0.1', a.port, real.fingerprint.toLowerCase());
    socket.end('secret');
    await settle();
    expect(a.received.join('')).toBe('secret');
  });

  it('refuses a server presenting another certificate in one sentence, having sent it nothing', async () => {
    const x = await serve(other);
    const refusal = pinnedTlsSocket('127.0.0.1', x.port, real.fingerprint);
    await expect(refusal).rejects.toBeInstanceOf(CertificatePinError);
    await expect(refusal).rejects.toThrow(
      /^The server at 127\.0\.0\.1:\d+ presented a certificate with another fingerprint than the one expected\.$/,
    );
    await settle();
    expect(x.received).toEqual([]);
  });

  it('pins a certificate whatever signed it: the chain is not what is trusted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-pin-ca-'));
    const site = caSigned(dir);
    const a = await serve({ ...real, cert: site.cert, key: site.key });
    const socket = await pinnedTlsSocket('127.0.0.1', a.port, new X509Certificate(site.cert).fingerprint256);
    socket.end('signed');
    await settle();
    expect(a.received.join('')).toBe('signed');
  });

  it('says when nothing answers', async () => {
    const x = await serve(other);
    const port = x.port;
    await new Promise<void>((r) => x.server.close(() => r()));
    const refusal = pinnedTlsSocket('127.0.0.1', port, real.fingerprint);
    await expect(refusal).rejects.toThrow(/ECONNREFUSED/);
    await expect(refusal).rejects.not.toBeInstanceOf(CertificatePinError);
  });

  it('checks a CA-verified certificate against the pin too', () => {
    const check = pinCheck(real.fingerprint);
    const as = (m: TlsMaterial) =>
      ({ fingerprint256: new X509Certificate(m.cert).fingerprint256 }) as PeerCertificate;
    expect(check('node-a', as(real))).toBeUndefined();
    expect(check('node-a', as(other))).toBeInstanceOf(CertificatePinError);
  });
});
