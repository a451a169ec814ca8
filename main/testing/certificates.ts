import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/**
 * A site CA and a certificate it signed for 127.0.0.1, made with the openssl tool in `dir` (what
 * a site with its own PKI gives a node with --tls-cert); the CA's own certificate is not sent.
 */
export function caSigned(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const f = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl([
    'req',
    '-x509',
    ...ec,
    '-days',
    '30',
    '-subj',
    '/CN=site ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  ]);
  openssl(['req', '-new', ...ec, '-subj', '/CN=node', '-keyout', f('node.key'), '-out', f('node.csr')]);
  openssl([
    'x509',
    '-req',
    '-in',
    f('node.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('node.pem'),
  ]);
  return {
    ca: readFileSync(f('ca.pem')),
    cert: readFileSync(f('node.pem')),
    key: readFileSync(f('node.key')),
  };
}
