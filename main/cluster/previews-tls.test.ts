import { randomBytes } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PreviewFrame } from '../contract/contract.js';
import { setLogSink } from '../log.js';
import { selfSignedTls, type TlsMaterial } from '../serve/tls.js';
import { caSigned } from '../testing/certificates.js';
import { clusterLinkKey } from './node-token.js';
import { NODE_LINK_PATH, PreviewLinks } from './previews.js';

/**
 * Preview links over TLS between real servers: the follower accepts only the certificate whose
 * fingerprint the peer registered, refuses any other before sending its node token, and with a
 * site CA configured verifies the chain and name as usual.
 */

const KEY = clusterLinkKey(randomBytes(32));

const frame: PreviewFrame = {
  type: 'preview',
  camera_id: 'gate',
  at: 1_700_000_000_000,
  width: 320,
  height: 180,
  jpeg: Buffer.from('not really a jpeg').toString('base64'),
  faces: [],
};

/** A node's server as far as links go: HTTPS with this certificate, upgrades to `links`. */
interface Peer {
  links: PreviewLinks;
  server: Server;
  port: number;
  /** Upgrade requests that reached the server (a refused link must never send one). */
  upgrades: number;
}

async function startPeer(name: string, cert: { cert: Buffer; key: Buffer }): Promise<Peer> {
  const links = new PreviewLinks({ node: name, key: KEY, deliver: () => undefined });
  const server = createServer({ cert: cert.cert, key: cert.key });
  const peer: Peer = { links, server, port: 0, upgrades: 0 };
  server.on('upgrade', (req, socket, head) => {
    peer.upgrades++;
    if (req.url === NODE_LINK_PATH) links.accept(req, socket, head as Buffer);
    else socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.port = (server.address() as { port: number }).port;
  return peer;
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('preview links between nodes over TLS', () => {
  let real: TlsMaterial;
  let impostor: TlsMaterial;
  const logs: { event: string; to?: string; reason?: string }[] = [];
  const open: { close(): void }[] = [];

  beforeAll(() => {
    real = selfSignedTls(mkdtempSync(join(tmpdir(), 'vigil-link-a-')), '127.0.0.1');
    impostor = selfSignedTls(mkdtempSync(join(tmpdir(), 'vigil-link-x-')), '127.0.0.1');
    setLogSink({ level: 'warn', write: (line) => logs.push(JSON.parse(line) as (typeof logs)[number]) });
  });
  afterAll(() => setLogSink(null));
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
    logs.splice(0);
  });

  const follower = (name: string, got: PreviewFrame[], tls?: { ca: Buffer }) => {
    const links = new PreviewLinks({
      node: name,
      key: KEY,
      deliver: (f) => got.push(f),
      retryMs: 100,
      ...(tls ? { tls } : {}),
    });
    open.push(links);
    return links;
  };
  const serving = (p: Peer) => {
    open.push({
      close: () => {
        p.links.close();
        p.server.closeAllConnections();
        p.server.close();
      },
    });
    return p;
  };

  it('links to a peer presenting the certificate it registered, and streams its frames', async () => {
    const a = serving(await startPeer('node-a', real));
    const got: PreviewFrame[] = [];
    const b = follower('node-b', got);
    b.follow([{ node: 'node-a', address: `https://127.0.0.1:${a.port}`, fingerprint: real.fingerprint }]);
    await until('B to follow A', () => b.following().includes('node-a'));
    a.links.local(frame);
    await until('the frame on B', () => got.length === 1);
    expect(got[0]).toEqual(frame);
    expect(logs.filter((l) => l.event === 'node_link_untrusted')).toEqual([]);
  }, 30_000);

  it('refuses a peer presenting another self-signed certificate, before sending its token', async () => {
    // Whoever sits on A's address with a certificate of its own: B registered A's fingerprint.
    const x = serving(await startPeer('node-a', impostor));
    const b = follower('node-b', []);
    b.follow([{ node: 'node-a', address: `https://127.0.0.1:${x.port}`, fingerprint: real.fingerprint }]);
    await until('the refusal', () => logs.some((l) => l.event === 'node_link_untrusted'));
    // A few retries later: still refused, logged once, and no upgrade (no node token) ever sent.
    await new Promise((r) => setTimeout(r, 500));
    const refusals = logs.filter((l) => l.event === 'node_link_untrusted');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ to: 'node-a' });
    expect(refusals[0]!.reason).toMatch(
      /^Node node-a presents another certificate than the one it registered[^.]*\.$/,
    );
    expect(b.following()).toEqual([]);
    expect(x.upgrades).toBe(0);
  }, 30_000);

  it('refuses a TLS peer that registered no fingerprint, and links once it does', async () => {
    const a = serving(await startPeer('node-a', real));
    const b = follower('node-b', []);
    const address = `https://127.0.0.1:${a.port}`;
    b.follow([{ node: 'node-a', address, fingerprint: null }]);
    await until('the refusal', () => logs.some((l) => l.event === 'node_link_untrusted'));
    expect(a.upgrades).toBe(0);
    // The node registers again with its fingerprint: the next look at the nodes table links.
    b.follow([{ node: 'node-a', address, fingerprint: real.fingerprint }]);
    await until('B to follow A', () => b.following().includes('node-a'));
  }, 30_000);

  it('without a CA configured, pins a CA-signed peer by its fingerprint too', async () => {
    const site = caSigned(mkdtempSync(join(tmpdir(), 'vigil-link-pin-ca-')));
    const a = serving(await startPeer('node-a', site));
    const b = follower('node-b', []);
    const fingerprint = new X509Certificate(site.cert).fingerprint256;
    b.follow([{ node: 'node-a', address: `https://127.0.0.1:${a.port}`, fingerprint }]);
    await until('B to follow A', () => b.following().includes('node-a'));
  }, 30_000);

  it('with a site CA: a CA-signed peer links; a self-signed one on its address is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-link-ca-'));
    const site = caSigned(dir);
    const a = serving(await startPeer('node-a', site));
    const b = follower('node-b', [], { ca: site.ca });
    b.follow([{ node: 'node-a', address: `https://127.0.0.1:${a.port}`, fingerprint: null }]);
    await until('B to follow A', () => b.following().includes('node-a'));

    const x = serving(await startPeer('node-c', impostor));
    const errors = () => logs.filter((l) => l.event === 'node_link_error' && l.to === 'node-c');
    b.follow([
      { node: 'node-a', address: `https://127.0.0.1:${a.port}`, fingerprint: null },
      { node: 'node-c', address: `https://127.0.0.1:${x.port}`, fingerprint: impostor.fingerprint },
    ]);
    await until('the refusal', () => errors().length > 0);
    expect(b.following()).toEqual(['node-a']);
    expect(x.upgrades).toBe(0);
  }, 30_000);
});
