import { X509Certificate } from 'node:crypto';
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';

/**
 * TLS to a server known by its certificate's SHA-256 fingerprint rather than by a CA: a node's
 * self-signed certificate, or the local `vigil serve` named in serve.json. Node's client has no
 * verify callback, and `checkServerIdentity` never runs once a self-signed certificate failed
 * the chain check; so the certificate is first fetched by a connection that sends nothing, and
 * the real one trusts exactly that certificate as its only CA and checks the fingerprint in the
 * handshake. Nothing (no token, no header) leaves before the server proved it holds the key.
 */

/** "AB:CD:…" (as Node and browsers show it) or bare hex, any case: compared as bare lower hex. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').trim().toLowerCase();
}

export class CertificatePinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificatePinError';
  }
}

/** The certificate the server at host:port presents, fetched without sending any data. */
export function presentedCertificate(
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, timeout: timeoutMs });
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert) resolve(cert);
      else reject(new CertificatePinError(`The server at ${host}:${port} presented no certificate.`));
    });
    socket.once('timeout', () => fail(new Error(`no TLS handshake from ${host}:${port} in time`)));
    socket.once('error', fail);
  });
}

/**
 * Connection options (for tls.connect, https.request or ws) that accept only the certificate
 * whose fingerprint is `fingerprint`; refused in the handshake otherwise. Throws a
 * CertificatePinError, one sentence, when the server presents another certificate.
 */
export async function pinnedTlsOptions(
  host: string,
  port: number,
  fingerprint: string,
  timeoutMs?: number,
): Promise<Pick<ConnectionOptions, 'ca' | 'checkServerIdentity'>> {
  const want = normalizeFingerprint(fingerprint);
  const cert = await presentedCertificate(host, port, timeoutMs);
  if (normalizeFingerprint(cert.fingerprint256) !== want)
    throw new CertificatePinError(
      `The server at ${host}:${port} presented a certificate with another fingerprint than the one expected.`,
    );
  return { ca: cert.toString(), checkServerIdentity: pinCheck(want) };
}

/** A checkServerIdentity that accepts only this fingerprint (the host name is not what is trusted). */
export function pinCheck(fingerprint: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const want = normalizeFingerprint(fingerprint);
  return (_host, cert) =>
    normalizeFingerprint(cert.fingerprint256 ?? '') === want
      ? undefined
      : new CertificatePinError(
          'The server presented a certificate with another fingerprint than the one expected.',
        );
}
