import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, type ConnectionOptions, type TLSSocket } from 'node:tls';
import WebSocket, { WebSocketServer, type ClientOptions } from 'ws';
import { previewFrameSchema, type PreviewFrame } from '../contract/contract.js';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import { CertificatePinError, pinCheck, pinnedTlsSocket } from '../util/pinned-tls.js';
import { NodeTokenVerifier, signNodeToken } from './node-token.js';

/**
 * Live previews between nodes. A console on node B sees the tiles of cameras node A watches: B
 * opens one WebSocket to A (A's address from the nodes table), authenticated by a one-time node
 * token (node-token.ts), and A streams its preview frames over it. Frames go node to node, never
 * through the shared store: they are the bulk of the traffic and worthless a second later.
 *
 * Over TLS, B accepts only the certificate whose SHA-256 fingerprint A registered in the nodes
 * table (checked when the handshake ends, before the token or anything else is sent), so whoever
 * sits between the nodes cannot pass for A; with a site CA configured, the CA's chain and name
 * verification applies, plus the fingerprint when one is registered.
 */

/** The path on every node's server (beside the console's /ws) where other nodes link. */
export const NODE_LINK_PATH = '/cluster/previews';
/** Header carrying the node token: nodes are not browsers, so no subprotocol trick is needed. */
export const NODE_TOKEN_HEADER = 'x-vigil-node-token';

/** Above this much unsent data a link skips frames, as a slow console does. */
const LINK_BACKLOG_BYTES = 1024 * 1024;
/** A frame is at most a few hundred kB of base64; anything far bigger is not a frame. */
const MAX_FRAME_BYTES = 5 * 1024 * 1024;

export interface PeerNode {
  node: string;
  /** host:port (or http(s)://host:port) of the node's server, as registered in the nodes table. */
  address: string;
  /** SHA-256 fingerprint of the certificate the node's server presents, as registered. */
  fingerprint?: string | null;
}

export interface PreviewLinksOptions {
  node: string;
  /** clusterLinkKey(master key): the same on every node of the cluster. */
  key: Uint8Array;
  /** Another node's frame, checked: to this node's consoles (VigilServer.deliverRemote). */
  deliver: (frame: PreviewFrame) => void;
  /** Nodes' servers speak https/wss beyond loopback; the CA that signs their certificates, if the site has one. */
  tls?: { ca?: string | Buffer };
  /** How long before a lost link is tried again (default 2 s). */
  retryMs?: number;
  now?: () => number;
}

interface Link {
  peer: PeerNode;
  ws: WebSocket | null;
  retry: ReturnType<typeof setTimeout> | null;
  /** Whether this link's refusal was logged already (logged once, not at every retry). */
  refusedLogged: boolean;
}

/** How a link's TLS is trusted: a CA (and the pin), or a connection already pinned (pinnedTlsSocket). */
type LinkTls = Pick<ConnectionOptions, 'ca' | 'checkServerIdentity'> | { socket: TLSSocket };

export class PreviewLinks {
  private readonly verifier: NodeTokenVerifier;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  /** Nodes streaming from this one. */
  private readonly followers = new Set<WebSocket>();
  /** Nodes this one streams from, by name. */
  private readonly links = new Map<string, Link>();
  private closed = false;

  constructor(private readonly opts: PreviewLinksOptions) {
    this.verifier = new NodeTokenVerifier(opts.key, opts.node, opts.now);
  }

  /** Serving side: an upgrade on NODE_LINK_PATH (called by VigilServer); refused without a valid node token. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const header = req.headers[NODE_TOKEN_HEADER];
    const check = this.verifier.verify(typeof header === 'string' ? header : null);
    if (!check.ok || this.closed) {
      log('warn', 'node_link_refused', { reason: check.ok ? 'closing' : check.reason });
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.followers.add(ws);
      log('info', 'node_link_accepted', { from: check.node });
      ws.on('close', () => this.followers.delete(ws));
      ws.on('error', (e) => log('warn', 'node_link_error', { from: check.node, error: e.message }));
      // A follower has nothing to say; anything it sends ends the link.
      ws.on('message', () => ws.close(1003, 'nothing to send on a preview link'));
    });
  }

  /** Serving side: one of this node's own frames, to every node that follows it. */
  local(frame: PreviewFrame): void {
    if (this.followers.size === 0) return;
    const text = JSON.stringify(frame);
    for (const ws of this.followers) {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount > LINK_BACKLOG_BYTES) continue;
      ws.send(text);
    }
  }

  /**
   * Following side: stream from exactly these nodes (the alive ones of the nodes table, this one
   * left out); links to nodes no longer listed are closed. Call it whenever the list may change.
   */
  follow(peers: readonly PeerNode[]): void {
    if (this.closed) return;
    const wanted = new Map(peers.filter((p) => p.node !== this.opts.node).map((p) => [p.node, p]));
    for (const [name, link] of this.links) {
      const p = wanted.get(name);
      if (
        !p ||
        p.address !== link.peer.address ||
        (p.fingerprint ?? null) !== (link.peer.fingerprint ?? null)
      )
        this.drop(name);
    }
    for (const [name, peer] of wanted) if (!this.links.has(name)) this.open(peer);
  }

  /** Names of the nodes this one currently streams from (links open). */
  following(): string[] {
    return [...this.links.values()]
      .filter((l) => l.ws?.readyState === WebSocket.OPEN)
      .map((l) => l.peer.node)
      .sort();
  }

  close(): void {
    this.closed = true;
    for (const name of [...this.links.keys()]) this.drop(name);
    for (const ws of this.followers) ws.close(1001, 'node stopping');
    this.wss.close();
  }

  private drop(name: string): void {
    const link = this.links.get(name);
    if (!link) return;
    this.links.delete(name);
    if (link.retry) clearTimeout(link.retry);
    link.ws?.removeAllListeners('close');
    link.ws?.on('error', () => undefined);
    link.ws?.terminate();
  }

  private open(peer: PeerNode): void {
    const link: Link = { peer, ws: null, retry: null, refusedLogged: false };
    this.links.set(peer.node, link);
    this.connect(link);
  }

  private current(link: Link): boolean {
    return !this.closed && this.links.get(link.peer.node) === link;
  }

  private later(link: Link): void {
    if (!this.current(link)) return;
    link.retry = setTimeout(() => this.connect(link), this.opts.retryMs ?? 2_000);
    link.retry.unref();
  }

  private refuse(link: Link, reason: string): void {
    if (!link.refusedLogged) log('warn', 'node_link_untrusted', { to: link.peer.node, reason });
    link.refusedLogged = true;
    this.later(link);
  }

  private connect(link: Link): void {
    if (!this.current(link)) return;
    const { peer } = link;
    const { url, secure } = linkUrl(peer.address);
    if (!secure) return this.dial(link, url, {});
    const ca = this.opts.tls?.ca;
    if (ca) {
      // The site's CA vouches for the name; the registered fingerprint, when there is one, as well.
      const pin = peer.fingerprint ? pinCheck(peer.fingerprint) : null;
      return this.dial(link, url, {
        ca,
        checkServerIdentity: (host, cert) => checkServerIdentity(host, cert) ?? pin?.(host, cert),
      });
    }
    if (!peer.fingerprint)
      return this.refuse(
        link,
        `Node ${peer.node} registered no certificate fingerprint, so its certificate cannot be checked and its previews are not followed.`,
      );
    const { hostname, port } = new URL(url);
    pinnedTlsSocket(hostname.replace(/^\[|\]$/g, ''), Number(port || 443), peer.fingerprint).then(
      (socket) => this.dial(link, url, { socket }),
      (e: unknown) => {
        if (e instanceof CertificatePinError)
          return this.refuse(
            link,
            `Node ${peer.node} presents another certificate than the one it registered, so the link is refused.`,
          );
        log('warn', 'node_link_error', { to: peer.node, error: describeError(e) });
        this.later(link);
      },
    );
  }

  private dial(link: Link, url: string, tls: LinkTls): void {
    if (!this.current(link)) {
      if ('socket' in tls) tls.socket.destroy();
      return;
    }
    const { peer } = link;
    const token = signNodeToken(this.opts.key, this.opts.node, peer.node, (this.opts.now ?? Date.now)());
    const ws = new WebSocket(url, {
      headers: { [NODE_TOKEN_HEADER]: token },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      ...('socket' in tls
        ? { createConnection: () => tls.socket }
        : // ws types checkServerIdentity as returning a boolean; it hands it to tls.connect as is.
          (tls as Omit<ClientOptions, 'checkServerIdentity'>)),
    });
    link.ws = ws;
    ws.on('open', () => {
      link.refusedLogged = false;
      log('info', 'node_link_open', { to: peer.node });
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let raw: unknown;
      try {
        raw = JSON.parse(String(data));
      } catch {
        return log('warn', 'node_link_frame_refused', { from: peer.node, reason: 'not JSON' });
      }
      const parsed = previewFrameSchema.safeParse(raw);
      if (!parsed.success)
        return log('warn', 'node_link_frame_refused', { from: peer.node, reason: 'invalid' });
      try {
        this.opts.deliver(parsed.data);
      } catch (e) {
        log('error', 'node_link_delivery_failed', { from: peer.node, error: describeError(e) });
      }
    });
    ws.on('error', (e) => log('warn', 'node_link_error', { to: peer.node, error: e.message }));
    ws.on('close', () => {
      link.ws = null;
      this.later(link);
    });
  }
}

/**
 * A node's address as registered: http(s)://host:port says its scheme; a bare host:port is plain
 * on loopback and TLS elsewhere, as `vigil serve` itself decides.
 */
export function linkUrl(address: string): { url: string; secure: boolean } {
  const m = /^(https?):\/\/([^/]+)\/?$/i.exec(address.trim());
  const hostPort = m ? m[2]! : address.trim();
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const secure = m
    ? m[1]!.toLowerCase() === 'https'
    : !(host === 'localhost' || host === '::1' || /^127\./.test(host));
  return { url: `${secure ? 'wss' : 'ws'}://${hostPort}${NODE_LINK_PATH}`, secure };
}
