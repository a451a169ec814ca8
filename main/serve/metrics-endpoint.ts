import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { tokenMatches } from './session-file.js';
import type { EngineMetrics } from '../metrics/metrics.js';

/**
 * The metrics token: read-only (it opens /metrics and nothing else), separate from the machine
 * token so a Prometheus server never holds a key to the console. Unlike the machine token it
 * survives restarts, since it is copied into the monitoring system's configuration.
 */
export const METRICS_TOKEN_FILE = 'metrics.token';

export function metricsTokenPath(dataDir: string): string {
  return join(dataDir, METRICS_TOKEN_FILE);
}

/** The folder's metrics token, created (mode 0600) at first use or when rotated. */
export function metricsToken(dataDir: string, rotate = false): string {
  const path = metricsTokenPath(dataDir);
  if (!rotate) {
    try {
      const t = readFileSync(path, 'utf8').trim();
      if (t.length >= 32) return t;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new VigilError('DATA_DIR', `The metrics token ${path} cannot be read: ${(e as Error).message}`);
    }
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

function bearer(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : null;
}

/**
 * GET /metrics: Prometheus text format for the holder of the metrics token, 401 for anyone else.
 * The token is read at each scrape, so `vigil metrics token --rotate` takes effect at once.
 */
export function metricsHandler(metrics: EngineMetrics, dataDir: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (!tokenMatches(bearer(req), metricsToken(dataDir))) {
      log('warn', 'metrics_refused', { reason: 'no valid metrics token' });
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="vigil-metrics"' })
        .end('A valid metrics token is required (Authorization: Bearer, see DATA_DIR/metrics.token).\n');
      return;
    }
    const { body, contentType } = await metrics.render();
    res
      .writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
      .end(req.method === 'HEAD' ? undefined : body);
  };
}
