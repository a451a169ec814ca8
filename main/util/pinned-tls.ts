import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';

/**
 * TLS to a server known by its certificate's SHA-256 fingerprint rather than by a CA: a node's
 * self-signed certificate (or one its site's CA signed), or the local `vigil serve` named in
 * serve.json. The connection is made and its certificate checked before it is handed to the
 * HTTP or WebSocket client (their `createConnection`), so not one byte of a request, token
 * included, leaves for a server that does not hold that certificate's key. The chain is not
 * what is trusted here, so a certificate from any CA (or none) pins the same way.
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

/**
 * A TLS connection to host:port whose server presented the certificate with this fingerprint,
 * handshake done and nothing written. Rejects with a CertificatePinError (one sentence) when it
 * presented another one, else with the connection's own error.
 */
export function pinnedTlsSocket(
  host: string,
  port: number,
  fingerprint: string,
  timeoutMs = 10_000,
): Promise<TLSSocket> {
  const want = normalizeFingerprint(fingerprint);
  return new Promise((resolve, reject) => {
    // Chain and name are not checked: the fingerprint, below, is the whole of the trust.
    const socket = connect({ host, port, rejectUnauthorized: false });
    const done = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('secureConnect', onSecure);
    };
    const onError = (e: Error) => {
      done();
      socket.destroy();
      reject(e);
    };
    const onSecure = () => {
      done();
      const cert = socket.getPeerX509Certificate();
      if (cert && normalizeFingerprint(cert.fingerprint256) === want) return resolve(socket);
      socket.destroy();
      reject(
        new CertificatePinError(
          `The server at ${host}:${port} presented a certificate with another fingerprint than the one expected.`,
        ),
      );
    };
    const timer = setTimeout(
      () => onError(new Error(`no TLS handshake from ${host}:${port} in time`)),
      timeoutMs,
    );
    socket.once('error', onError);
    socket.once('secureConnect', onSecure);
  });
}

/**
 * A checkServerIdentity that accepts only this fingerprint, for connections whose chain a CA
 * already verified (it runs only then): the pin on top of the CA.
 */
export function pinCheck(fingerprint: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const want = normalizeFingerprint(fingerprint);
  return (_host, cert) =>
    normalizeFingerprint(cert.fingerprint256 ?? '') === want
      ? undefined
      : new CertificatePinError(
          'The server presented a certificate with another fingerprint than the one expected.',
        );
}
