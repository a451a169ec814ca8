import { CAMERA_ID_PATTERN } from '../contract/wire.js';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isUniqueViolation, type SqlPort } from './sql-port.js';
import { VigilError } from '../errors.js';
import { redactUrl } from '../log.js';
import type { CameraRepository } from './repositories.js';

export interface CameraRow {
  camera_id: string;
  name: string;
  location: string | null;
  url: string;
  resolution: string | null;
  fps: number | null;
  recognition_enabled: number;
  recognition_threshold: number | null;
  unknown_threshold: number | null;
  loop: number;
  created_at: string;
  updated_at: string;
}

export interface NewCamera {
  id: string;
  name: string;
  url: string;
  location?: string | null;
  loop?: boolean;
  resolution?: string | null;
  fps?: number | null;
  recognitionThreshold?: number | null;
  unknownThreshold?: number | null;
}

const ID = CAMERA_ID_PATTERN;
/** A DNS name or IPv4 address (labels never start or end with "-"), or a bracketed IPv6 address. */
const HOST =
  /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$|^\[[0-9a-f:.]+\]$/i;

/**
 * Accepts rtsp://, http(s)://, file:// URLs and plain paths (made absolute file:// URLs), and
 * webcam devices (v4l2:/dev/video0, avfoundation:0, dshow:video=Name). Anything else is refused.
 */
export function normaliseCameraUrl(input: string, cwd = process.cwd()): string {
  const url = input.trim();
  if (!url) throw new VigilError('INVALID_ARGUMENT', 'A camera needs a URL or a video file path.');
  const shown = redactUrl(url).slice(0, 200);
  if ([...url].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new VigilError(
      'INVALID_ARGUMENT',
      'The camera address contains control characters (such as a line break).',
    );
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme && scheme.length > 1) {
    // ffmpeg gets the address as one argument, never through a shell; still, characters no
    // camera address needs (outside its password) are refused, as a typo or an injection attempt.
    const device = ['v4l2', 'avfoundation', 'dshow'].includes(scheme);
    if (scheme !== 'file' && (device ? /[`|;<>]|\$[({]/ : /[\s`|;<>]|\$[({]/).test(redactUrl(url))) {
      throw new VigilError(
        'INVALID_ARGUMENT',
        `The camera address "${shown}" contains spaces or characters a camera address never needs (\` | ; < > $( ).`,
      );
    }
    if (['rtsp', 'rtsps', 'http', 'https'].includes(scheme)) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new VigilError('INVALID_ARGUMENT', `The camera URL ${shown} is not a valid URL.`);
      }
      if (!parsed.hostname) throw new VigilError('INVALID_ARGUMENT', `The camera URL ${shown} has no host.`);
      if (!HOST.test(parsed.hostname))
        throw new VigilError('INVALID_ARGUMENT', `The camera URL ${shown} does not name a valid host.`);
      // URL accepts port 0, which nothing can listen on; 65536 and up it refuses itself.
      if (parsed.port === '0')
        throw new VigilError('INVALID_ARGUMENT', `The camera URL ${shown} has port 0; a port is 1–65535.`);
      return url;
    }
    if (scheme === 'file') {
      let path: string;
      try {
        path = fileURLToPath(url);
      } catch {
        throw new VigilError(
          'INVALID_ARGUMENT',
          `The video file address ${shown} is not a valid file:// URL.`,
        );
      }
      refuseMissingOrFolder(path, shown);
      return url;
    }
    if (device) return url;
    throw new VigilError(
      'INVALID_ARGUMENT',
      `Unsupported camera address "${redactUrl(url)}": use rtsp://, http(s)://, file:// or a video file path.`,
    );
  }
  const path = isAbsolute(url) ? url : resolve(cwd, url);
  refuseMissingOrFolder(path, shown);
  return pathToFileURL(path).href;
}

/** `shown` is the address as given: the resolved path would tell a console user the server's working folder. */
function refuseMissingOrFolder(path: string, shown: string): void {
  if (!existsSync(path)) throw new VigilError('INVALID_ARGUMENT', `The video file ${shown} does not exist.`);
  if (statSync(path).isDirectory())
    throw new VigilError('INVALID_ARGUMENT', `The video file ${shown} is a folder, not a video.`);
}

export function addCamera(db: SqlPort, c: NewCamera): CameraRow {
  if (!ID.test(c.id)) {
    throw new VigilError(
      'INVALID_ARGUMENT',
      'A camera id is 1–64 letters, digits, "_", "-" or ".", starting with a letter or digit.',
    );
  }
  if (!c.name.trim()) throw new VigilError('INVALID_ARGUMENT', 'A camera needs a name.');
  const url = normaliseCameraUrl(c.url);
  const now = new Date().toISOString();
  try {
    db.prepare(
      `INSERT INTO cameras (camera_id, name, location, url, resolution, fps, recognition_threshold, unknown_threshold, loop, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      c.id,
      c.name.trim(),
      c.location ?? null,
      url,
      c.resolution ?? null,
      c.fps ?? null,
      c.recognitionThreshold ?? null,
      c.unknownThreshold ?? null,
      c.loop ? 1 : 0,
      now,
      now,
    );
  } catch (e) {
    if (isUniqueViolation(e))
      throw new VigilError('INVALID_ARGUMENT', `A camera with id ${c.id} already exists.`);
    throw e;
  }
  return getCamera(db, c.id)!;
}

export function getCamera(db: SqlPort, id: string): CameraRow | undefined {
  return db.prepare('SELECT * FROM cameras WHERE camera_id = ?').get(id) as CameraRow | undefined;
}

export function listCameras(db: SqlPort): CameraRow[] {
  return db.prepare('SELECT * FROM cameras ORDER BY camera_id').all() as CameraRow[];
}

export function removeCamera(db: SqlPort, id: string): void {
  if (db.prepare('DELETE FROM cameras WHERE camera_id = ?').run(id).changes === 0) {
    throw new VigilError('NOT_FOUND', `No camera with id ${id}.`);
  }
}

/** A camera as shown to people and logs: credentials in its URL masked. */
export function publicCamera(c: CameraRow) {
  return {
    camera_id: c.camera_id,
    name: c.name,
    location: c.location,
    url: redactUrl(c.url),
    resolution: c.resolution,
    fps: c.fps,
    recognition_enabled: c.recognition_enabled === 1,
    recognition_threshold: c.recognition_threshold,
    unknown_threshold: c.unknown_threshold,
    loop: c.loop === 1,
  };
}

export interface CameraChanges {
  name?: string;
  location?: string | null;
  url?: string;
  recognition_enabled?: boolean;
  recognition_threshold?: number | null;
  unknown_threshold?: number | null;
}

/** Applies the given fields only; the URL is validated like a new camera's. */
export function updateCamera(db: SqlPort, id: string, ch: CameraChanges): CameraRow {
  const row = getCamera(db, id);
  if (!row) throw new VigilError('NOT_FOUND', `No camera with id ${id}.`);
  if (ch.name !== undefined && !ch.name.trim())
    throw new VigilError('INVALID_ARGUMENT', 'A camera needs a name.');
  const next = {
    name: ch.name?.trim() ?? row.name,
    location: ch.location === undefined ? row.location : ch.location,
    url: ch.url === undefined ? row.url : normaliseCameraUrl(ch.url),
    recognition_enabled:
      ch.recognition_enabled === undefined ? row.recognition_enabled : ch.recognition_enabled ? 1 : 0,
    recognition_threshold:
      ch.recognition_threshold === undefined ? row.recognition_threshold : ch.recognition_threshold,
    unknown_threshold: ch.unknown_threshold === undefined ? row.unknown_threshold : ch.unknown_threshold,
  };
  db.prepare(
    `UPDATE cameras SET name = ?, location = ?, url = ?, recognition_enabled = ?, recognition_threshold = ?,
       unknown_threshold = ?, updated_at = ? WHERE camera_id = ?`,
  ).run(
    next.name,
    next.location,
    next.url,
    next.recognition_enabled,
    next.recognition_threshold,
    next.unknown_threshold,
    new Date().toISOString(),
    id,
  );
  return getCamera(db, id)!;
}

/** The cameras of one SQLite store. */
export class SqliteCameras implements CameraRepository {
  constructor(private readonly db: SqlPort) {}

  add(camera: NewCamera): CameraRow {
    return addCamera(this.db, camera);
  }

  get(id: string): CameraRow | undefined {
    return getCamera(this.db, id);
  }

  list(): CameraRow[] {
    return listCameras(this.db);
  }

  update(id: string, changes: CameraChanges): CameraRow {
    return updateCamera(this.db, id, changes);
  }

  remove(id: string): void {
    removeCamera(this.db, id);
  }
}
