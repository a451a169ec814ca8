import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { log } from '../log.js';

const require = createRequire(import.meta.url);

export interface FfmpegLocation {
  path: string;
  origin: 'configured' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | 'PATH';
  version: string;
}

function fromPackage(name: string): string | undefined {
  try {
    const mod = require(name) as string | { path?: string };
    const p = typeof mod === 'string' ? mod : mod.path;
    return p && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function fromPath(): string | undefined {
  const exe = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, exe))) return join(dir, exe);
  }
  return undefined;
}

function versionOf(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
    return out.split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Finds ffmpeg at run time: a configured path, then the optional ffmpeg-static binary, then
 * @ffmpeg-installer/ffmpeg, then PATH. Each candidate must actually run.
 */
export function findFfmpeg(configured?: string): FfmpegLocation | undefined {
  const candidates: [FfmpegLocation['origin'], string | undefined][] = [
    ['configured', configured ?? process.env.VIGIL_FFMPEG],
    ['ffmpeg-static', fromPackage('ffmpeg-static')],
    ['@ffmpeg-installer/ffmpeg', fromPackage('@ffmpeg-installer/ffmpeg')],
    ['PATH', fromPath()],
  ];
  for (const [origin, path] of candidates) {
    if (!path) continue;
    const version = versionOf(path);
    if (version) return { path, origin, version };
    // A VIGIL_FFMPEG that does not run is a mistake to name, not to pass over in silence.
    if (origin === 'configured') log('warn', 'ffmpeg_configured_unusable', { path: path.slice(0, 300) });
  }
  return undefined;
}

/** Which decoders and demuxers matter for cameras: H.264, H.265, RTSP. */
export function ffmpegCapabilities(path: string): { h264: boolean; hevc: boolean; rtsp: boolean } {
  const run = (args: string[]): string => {
    try {
      return execFileSync(path, ['-hide_banner', ...args], { encoding: 'utf8', timeout: 10_000 });
    } catch {
      return '';
    }
  };
  const decoders = run(['-decoders']);
  const demuxers = run(['-demuxers']);
  return {
    h264: /\sh264\s/.test(decoders),
    hevc: /\shevc\s/.test(decoders),
    rtsp: /\srtsp\s/.test(demuxers),
  };
}
