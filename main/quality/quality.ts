import type { Point } from '../align/similarity.js';
import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';

export interface FaceQuality {
  /** Face box width in original-image pixels. */
  faceSize: number;
  /** Variance of the Laplacian over the aligned face: low means blurred. */
  sharpness: number;
  /** Mean grey level of the aligned face, 0–255. */
  brightness: number;
  yaw: number;
  pitch: number;
  roll: number;
  /** 0–1 summary used to rank shots of the same person. */
  score: number;
}

export interface QualityGate {
  minFaceSize: number;
  minSharpness: number;
  maxYaw: number;
  maxPitch: number;
  minBrightness: number;
  maxBrightness: number;
}

/*
 * Measured through bench:accuracy (product path): at 60 px and ±35° the gate turned away a third of
 * the enrollment photos of CelebA and whole ORL members — photos whose faces the recognizer matches
 * well (it works on 112-pixel crops, and pose here is a coarse five-point estimate, ±10°, that
 * still rejected 31 CelebA photos at ±45°). Faces of 40 px are what the cameras will see anyway;
 * only near-profiles are turned away.
 */
export const ENROLL_GATE: QualityGate = {
  minFaceSize: 40,
  minSharpness: 15,
  maxYaw: 60,
  maxPitch: 60,
  minBrightness: 40,
  maxBrightness: 225,
};

/** A face this many times narrower than the widest one in a photo is not its subject. */
const DOMINANT_FACE = 1.6;

/**
 * The faces of an enrollment photo that could be its subject: background faces too small to
 * enroll do not make a photo ambiguous, and neither does one much smaller than the subject's (a
 * passer-by behind them). More than one left: the photo is ambiguous.
 */
export function subjectCandidates<T extends { quality: FaceQuality }>(faces: readonly T[]): T[] {
  const big = faces.filter((f) => f.quality.faceSize >= ENROLL_GATE.minFaceSize);
  const widest = Math.max(0, ...big.map((f) => f.quality.faceSize));
  return big.filter((f) => f.quality.faceSize * DOMINANT_FACE >= widest);
}

function grey(crop: RgbImage): Float32Array {
  const g = new Float32Array(crop.width * crop.height);
  for (let i = 0; i < g.length; i++) {
    g[i] = 0.299 * crop.data[i * 3]! + 0.587 * crop.data[i * 3 + 1]! + 0.114 * crop.data[i * 3 + 2]!;
  }
  return g;
}

/**
 * Head pose from the five landmarks alone (no 3-D model): roll from the eye line, yaw from how
 * far the nose sits off the eyes' midline, pitch from where the nose falls between eyes and mouth.
 * Coarse (±10°) but enough to reject profiles and heads bowed over a phone.
 */
export function poseFromLandmarks(lm: readonly Point[]): { yaw: number; pitch: number; roll: number } {
  const [le, re, nose, lm_, rm] = lm as [Point, Point, Point, Point, Point];
  const dx = re[0] - le[0];
  const dy = re[1] - le[1];
  const roll = (Math.atan2(dy, dx) * 180) / Math.PI;
  const iod = Math.hypot(dx, dy) || 1;
  const cos = dx / iod;
  const sin = dy / iod;
  // Work in a frame where the eye line is horizontal.
  const rot = (p: Point): Point => [p[0] * cos + p[1] * sin, -p[0] * sin + p[1] * cos];
  const [e1, e2, n, m1, m2] = [rot(le), rot(re), rot(nose), rot(lm_), rot(rm)];
  const eyeMid: Point = [(e1[0] + e2[0]) / 2, (e1[1] + e2[1]) / 2];
  const mouthMid: Point = [(m1[0] + m2[0]) / 2, (m1[1] + m2[1]) / 2];
  const offset = Math.max(-1, Math.min(1, ((n[0] - eyeMid[0]) / iod) * 2));
  const yaw = (Math.asin(offset) * 180) / Math.PI;
  const faceH = mouthMid[1] - eyeMid[1] || 1;
  // On a frontal face the nose tip sits a little past half-way from eyes to mouth.
  const ratio = (n[1] - eyeMid[1]) / faceH;
  const pitch = Math.max(-90, Math.min(90, (ratio - 0.55) * 150));
  return { yaw, pitch, roll };
}

export function assessQuality(
  aligned: RgbImage,
  landmarks: readonly Point[],
  box: Box,
  toOriginal: number,
): FaceQuality {
  const g = grey(aligned);
  const W = aligned.width;
  const H = aligned.height;
  // Inner face only: the warp's black border would read as sharp edges.
  const x0 = Math.round(W * 0.2);
  const x1 = Math.round(W * 0.8);
  const y0 = Math.round(H * 0.25);
  const y1 = Math.round(H * 0.9);
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  let bright = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * W + x;
      const lap = g[i - W]! + g[i + W]! + g[i - 1]! + g[i + 1]! - 4 * g[i]!;
      sum += lap;
      sumSq += lap * lap;
      bright += g[i]!;
      n++;
    }
  }
  const mean = sum / n;
  const sharpness = sumSq / n - mean * mean;
  const brightness = bright / n;
  const pose = poseFromLandmarks(landmarks);
  const faceSize = (box[2] - box[0]) * toOriginal;
  const sizeScore = Math.min(1, faceSize / 112);
  const sharpScore = Math.min(1, sharpness / 100);
  const poseScore = Math.max(0, 1 - (Math.abs(pose.yaw) + Math.abs(pose.pitch) * 0.5) / 60);
  const lightScore = Math.max(0, 1 - Math.abs(brightness - 128) / 128);
  const score = 0.3 * sizeScore + 0.25 * sharpScore + 0.3 * poseScore + 0.15 * lightScore;
  return { faceSize, sharpness, brightness, ...pose, score };
}

/** The reason a face fails the gate, as a sentence fragment, or null when it passes. */
export function gateFailure(q: FaceQuality, gate: QualityGate): { code: string; reason: string } | null {
  if (q.faceSize < gate.minFaceSize) {
    return {
      code: 'FACE_TOO_SMALL',
      reason: `the face is too small (${Math.round(q.faceSize)} px wide, at least ${gate.minFaceSize} px needed)`,
    };
  }
  if (Math.abs(q.yaw) > gate.maxYaw || Math.abs(q.pitch) > gate.maxPitch) {
    return { code: 'FACE_POSE', reason: 'the face is turned too far from the camera; look straight at it' };
  }
  if (q.brightness < gate.minBrightness) return { code: 'FACE_LIGHTING', reason: 'the face is too dark' };
  if (q.brightness > gate.maxBrightness) return { code: 'FACE_LIGHTING', reason: 'the face is over-exposed' };
  if (q.sharpness < gate.minSharpness) return { code: 'FACE_BLURRED', reason: 'the face is blurred' };
  return null;
}
