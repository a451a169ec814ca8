import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import { faceSvg, MEMBER_FACE, STRANGER_FACE, type DrawnFace } from './faces.js';

export const DEMO_CAMERA_ID = 'demo';
export const DEMO_MEMBER_NAME = 'Demo Member';
/** Seconds each person stays in view, and the empty scene between them (tracks end there). */
const SHOT_S = 5;
const GAP_S = 2;

/**
 * Drawn faces resemble each other more than photographs of two people do (cosine 0.40 between
 * these two as photos and up to 0.61 through the video encoder, against 0.84–0.96 for the same
 * drawing), so the demo camera
 * decides with stricter per-camera thresholds; real cameras keep the model's calibrated ones.
 */
const DEMO_THRESHOLDS = { recognition: 0.75, unknown: 0.7 };

async function portrait(face: DrawnFace, file: string): Promise<void> {
  await sharp(Buffer.from(faceSvg(face, 480)))
    .flatten({ background: face.background })
    .jpeg({ quality: 92 })
    .toFile(file);
}

function run(ffmpeg: string, args: string[]): void {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new VigilError(
      'DATA_DIR',
      `ffmpeg could not make the demo video: ${(r.stderr || '').trim().slice(0, 300)}`,
    );
}

/**
 * The demo scene: a 1280×720 corridor-coloured frame where the member, then nobody, then the
 * stranger, then nobody again stand in view; played looped it is a camera that never ends.
 */
export async function makeDemoVideo(dir: string, ffmpeg: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const member = join(dir, 'member.jpg');
  const stranger = join(dir, 'stranger.jpg');
  await portrait(MEMBER_FACE, member);
  await portrait(STRANGER_FACE, stranger);
  const out = join(dir, 'demo.mp4');
  const tmp = join(dir, 'demo.tmp.mp4');
  const shot = (input: number) =>
    `[${input}:v]scale=300:300,pad=1280:720:490+${input * 40}:200:color=0x3c4650,setsar=1,fps=10,format=yuv420p[v${input}]`;
  const blank = (label: string) => `color=c=0x3c4650:s=1280x720:r=10:d=${GAP_S},format=yuv420p[${label}]`;
  run(ffmpeg, [
    ...['-loop', '1', '-t', String(SHOT_S), '-i', member],
    ...['-loop', '1', '-t', String(SHOT_S), '-i', stranger],
    '-filter_complex',
    [shot(0), shot(1), blank('g0'), blank('g1'), '[v0][g0][v1][g1]concat=n=4:v=1:a=0[out]'].join(';'),
    ...['-map', '[out]', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '10', '-pix_fmt', 'yuv420p', tmp],
  ]);
  renameSync(tmp, out);
  return out;
}

export interface DemoSetup {
  video: string;
  created: boolean;
}

/**
 * Made at first use in DATA_DIR/demo: the video, one enrolled member (the drawn portrait) and the
 * looped camera. Later starts find all three and
 * change nothing, so a demo folder keeps what the newcomer did in it.
 */
export async function prepareDemo(opts: {
  dataDir: string;
  ffmpeg: string;
  pack: string;
  passphrase?: string;
}): Promise<DemoSetup> {
  const dir = join(opts.dataDir, 'demo');
  const video = join(dir, 'demo.mp4');
  const created = !existsSync(video);
  if (created) await makeDemoVideo(dir, opts.ffmpeg);
  const engine = Engine.open({
    dataDir: opts.dataDir,
    pack: opts.pack,
    actor: 'demo',
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  });
  try {
    if (!engine.store.members.list().some((m) => m.name === DEMO_MEMBER_NAME)) {
      const photo = await sharp(join(dir, 'member.jpg')).toBuffer();
      // The portrait as the camera shows it too: scaled and through the video encoder, a drawing
      // drifts further from its source than a photographed face does (0.84–0.96), and with the
      // demo camera's strict bar a first visit could otherwise be taken for a stranger.
      const still = join(dir, 'member-frame.jpg');
      run(opts.ffmpeg, ['-ss', String(SHOT_S / 2), '-i', video, '-frames:v', '1', '-q:v', '2', still]);
      const frame = await sharp(still).toBuffer();
      const result = await engine.enroll(
        { name: DEMO_MEMBER_NAME, notes: 'drawn demo portrait' },
        [
          { label: 'member.jpg', data: new Uint8Array(photo) },
          { label: 'member-frame.jpg', data: new Uint8Array(frame) },
        ],
        { actor: 'demo' },
      );
      if (result.embeddings_count === 0)
        throw new VigilError(
          'ENROLL_NO_USABLE_PHOTO',
          'The demo member could not be enrolled from its portrait.',
        );
    }
    if (!engine.store.cameras.list().some((c) => c.camera_id === DEMO_CAMERA_ID)) {
      const store = engine.store;
      store.transaction(() => {
        store.cameras.add({
          id: DEMO_CAMERA_ID,
          name: 'Demo corridor',
          url: video,
          location: 'demo scene (drawn faces)',
          loop: true,
          recognitionThreshold: DEMO_THRESHOLDS.recognition,
          unknownThreshold: DEMO_THRESHOLDS.unknown,
        });
        store.audit.append({
          actor: 'demo',
          action: 'camera_changed',
          subject: DEMO_CAMERA_ID,
          details: { change: 'added' },
        });
      }, 'immediate');
    }
  } finally {
    engine.close();
  }
  return { video, created };
}
