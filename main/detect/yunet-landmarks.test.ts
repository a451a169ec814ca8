import { describe, expect, it } from 'vitest';
import type { Point } from '../align/similarity.js';
import { decodeImage } from '../photo/image.js';
import { locateFaces } from '../engine/analyze.js';
import { modelById } from '../catalogue/manifest.js';
import { loadDetector, loadLandmarks, loadModels } from '../zoo/zoo.js';
import { asset, describeWithAssets, MODELS_DIR } from '../testing/assets.js';
import type { Box } from './types.js';
import { disagreement, eyeScaleRatio } from './yunet-landmarks.js';

process.env.VIGIL_MODELS_DIR = MODELS_DIR;

const face = (iod: number): Point[] => [
  [50 - iod / 2, 50],
  [50 + iod / 2, 50],
  [50, 65],
  [42, 80],
  [58, 80],
];

describe('eye scale ratio', () => {
  it('is the smaller eye distance over the larger, whichever set comes first', () => {
    expect(eyeScaleRatio(face(40), face(20))).toBeCloseTo(0.5, 6);
    expect(eyeScaleRatio(face(20), face(40))).toBeCloseTo(0.5, 6);
    expect(eyeScaleRatio(face(30), face(30))).toBe(1);
    expect(eyeScaleRatio(face(0), face(0))).toBe(1);
  });
});

const clamp = (b: Box, w: number, h: number): Box => [
  Math.max(0, b[0]),
  Math.max(0, b[1]),
  Math.min(w, b[2]),
  Math.min(h, b[3]),
];

const YALE = (f: string): string => asset('faces', 'yaleb', 'yaleB01', f);

describeWithAssets('YuNet as the landmark source beside the 68-point model', () => {
  it("takes YuNet's points only where the 68-point model has lost a side-lit face, not for pose", async () => {
    const entry = modelById('yunet-2023mar-landmarks');
    const chosen = await loadLandmarks(entry);
    const yunetOnly = await loadLandmarks({ ...entry, params: { ...entry.params, fallback: null } });
    const lm68 = await loadLandmarks(modelById('faceplugin-landmarks68'));
    const ultraface = await loadDetector(modelById('faceplugin-ultraface-rfb320'));
    const cases = [
      // Light from the side: the 68-point model squeezes the eyes together (ratio ≈ 0.3).
      { file: YALE('yaleB01_P00A-020E+10.png'), yunet: true, disagree: true },
      // The points disagree (the two conventions on a face lit from above) but the eye distance
      // holds: the 68-point model still has the face.
      { file: YALE('yaleB01_P00A+000E-20.png'), yunet: false, disagree: true },
      { file: asset('faces', 'celeba', '07201', '001085.jpg'), yunet: false, disagree: false },
    ];
    for (const c of cases) {
      const { image } = await decodeImage(c.file);
      const box = (await ultraface.detect(image)).sort((a, b) => b.score - a.score)[0]!.box;
      const [picked] = await chosen.landmarks(image, [box]);
      const [y] = await yunetOnly.landmarks(image, [box]);
      const [r] = await lm68.landmarks(image, [box]);
      expect(picked).toEqual(c.yunet ? y : r);
      expect(disagreement(y!, r!) > 0.25).toBe(c.disagree);
      expect(eyeScaleRatio(y!, r!) < 0.7).toBe(c.yunet);
    }
  });

  it("finds a photo's faces with YuNet, and a video frame's with the pack's detector", async () => {
    const models = await loadModels({ pack: 'default' });
    try {
      // UltraFace finds nothing in this frontal, evenly lit Yale B photo; YuNet does.
      const { image } = await decodeImage(YALE('yaleB01_P00A+000E+00.png'));
      expect(await models.detector.detect(image)).toHaveLength(0);
      const photo = await locateFaces(models, {
        image,
        originalWidth: image.width,
        originalHeight: image.height,
        scale: 1,
      });
      expect(photo).toHaveLength(1);
      const own = await models.landmarks!.detect!(image);
      expect(photo[0]!.box).toEqual(clamp(own[0]!.box, image.width, image.height));
      expect(photo[0]!.aligned.width).toBe(112);

      // On a video frame (no retry) the pack's detector boxes the faces.
      const celeba = await decodeImage(asset('faces', 'celeba', '07201', '001085.jpg'));
      const video = await locateFaces(models, celeba, { retry: false });
      const ultra = await models.detector.detect(celeba.image);
      const { width: W, height: H } = celeba.image;
      expect(video.map((f) => f.box)).toEqual(ultra.map((d) => clamp(d.box, W, H)));
      const still = await locateFaces(models, celeba);
      const yunet = await models.landmarks!.detect!(celeba.image);
      expect(still.map((f) => f.box)).toEqual(yunet.map((d) => clamp(d.box, W, H)));
      expect(still.map((f) => f.box)).not.toEqual(video.map((f) => f.box));
    } finally {
      await models.release();
    }
  });
});
