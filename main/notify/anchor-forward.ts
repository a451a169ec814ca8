import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { log } from '../log.js';
import type { AuditAnchor } from '../store/audit.js';

/**
 * Sends the audit log's head somewhere this machine's owner cannot rewrite it: a syslog collector
 * (`syslog://host:514`, RFC 5424 over UDP) or a webhook (`https://…`, the anchor as JSON). With a
 * copy there, restoring an older store and anchor together, or re-keying the chain with the master
 * key, no longer goes unnoticed. Heads are sent at most every `intervalMs` (the latest one).
 */
export function anchorForwarder(target: string, intervalMs = 5_000): (a: AuditAnchor) => void {
  const send = sender(target);
  let latest: AuditAnchor | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastSent = 0;
  const flush = () => {
    timer = null;
    if (!latest) return;
    const a = latest;
    latest = null;
    lastSent = Date.now();
    send(a).catch((e: unknown) =>
      log('warn', 'audit_anchor_forward_failed', { error: e instanceof Error ? e.message : String(e) }),
    );
  };
  return (a) => {
    latest = a;
    if (timer) return;
    timer = setTimeout(flush, Math.max(0, lastSent + intervalMs - Date.now()));
    timer.unref();
  };
}

/** Checks a --audit-forward target; the sentence says what is wrong. */
export function forwardTargetProblem(target: string): string | null {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `--audit-forward takes syslog://HOST:PORT or an http(s) URL, not "${target.slice(0, 100)}"`;
  }
  if (url.protocol === 'syslog:' && url.hostname) return null;
  if (url.protocol === 'http:' || url.protocol === 'https:') return null;
  return `--audit-forward takes syslog://HOST:PORT or an http(s) URL, not "${target.slice(0, 100)}"`;
}

function sender(target: string): (a: AuditAnchor) => Promise<void> {
  const url = new URL(target);
  if (url.protocol === 'syslog:') {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 514);
    return (a) =>
      new Promise((resolve, reject) => {
        // <86>: facility security/authorization (10) × 8 + severity informational (6).
        const msg =
          `<86>1 ${a.at} ${hostname()} vigil - audit-anchor - ` +
          `last_id=${a.last_id} count=${a.count} hash=${a.hash} mac=${a.mac}`;
        const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
        socket.send(msg, port, host, (err) => {
          socket.close();
          if (err) reject(err);
          else resolve();
        });
      });
  }
  return async (a) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'vigil.audit_anchor', host: hostname(), anchor: a }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`);
  };
}
