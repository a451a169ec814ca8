import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '../errors.js';

/**
 * The certificate of `vigil serve` over HTTPS: one given with --tls-cert/--tls-key, or a
 * self-signed one made on first use (when it binds beyond loopback) and kept in DATA_DIR/tls.
 * Node has no certificate builder of its own, so the self-signed one comes from the openssl tool.
 */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint, as browsers show it, for checking the certificate by eye. */
  fingerprint: string;
  selfSigned: boolean;
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

function fingerprintOf(cert: Buffer): string {
  try {
    return new X509Certificate(cert).fingerprint256;
  } catch {
    throw new VigilError('INVALID_ARGUMENT', 'The TLS certificate is not a PEM certificate.');
  }
}

export function loadTls(certFile: string, keyFile: string): TlsMaterial {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
    key = readFileSync(keyFile);
  } catch (e) {
    throw new VigilError(
      'INVALID_ARGUMENT',
      `Cannot read the TLS certificate or key: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}.`,
    );
  }
  return { cert, key, fingerprint: fingerprintOf(cert), selfSigned: false };
}

/** DATA_DIR/tls/cert.pem and key.pem, made once (10 years, this host's names and addresses). */
export function selfSignedTls(dataDir: string, host: string): TlsMaterial {
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const names = ['DNS:localhost', `DNS:${hostname()}`, 'IP:127.0.0.1', 'IP:::1'];
    if (host !== '0.0.0.0' && host !== '::')
      names.push(/^[\d.:]+$/.test(host) ? `IP:${host}` : `DNS:${host}`);
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        `/CN=vigil ${hostname()}`,
        '-addext',
        `subjectAltName=${names.join(',')}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new VigilError(
        'INVALID_ARGUMENT',
        'Cannot make a self-signed certificate (the openssl tool is missing or failed): pass --tls-cert and --tls-key.',
      );
    chmodSync(keyFile, 0o600);
  }
  return { ...loadTls(certFile, keyFile), selfSigned: true };
}
