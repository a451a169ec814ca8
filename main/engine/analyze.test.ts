import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { decodeImage } from '../photo/image.js';
import { loadModels } from '../zoo/zoo.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { alignFace } from '../align/warp.js';
import { dot } from '../match/similarity.js';
import { analyseImage, equalize, largestFace, locateFaces, padImage } from './analyze.js';

describeWithAssets('locating faces with a size floor', () => {
  it('boxes faces under the floor without landmarks or a crop, and aligns the others as before', async () => {
    const models = await loadModels({ pack: 'default' });
    try {
      // Six people in one photo, faces of different sizes.
      const photo = await decodeImage(asset('faces', 'insightface_samples', 't1.jpg'));
      const all = await locateFaces(models, photo, { retry: false });
      expect(all.length).toBeGreaterThanOrEqual(4);
      const widths = all.map((f) => f.quality.faceSize).sort((a, b) => a - b);
      const floor = widths[Math.floor(widths.length / 2)]!;
      const floored = await locateFaces(models, photo, { retry: false, minFaceSize: floor });
      expect(floored.map((f) => f.box)).toEqual(all.map((f) => f.box));
      floored.forEach((f, i) => {
        if (f.quality.faceSize < floor) {
          expect(f.aligned.data.length).toBe(0);
          expect(f.landmarks).toEqual([]);
          expect(f.quality.faceSize).toBeCloseTo(all[i]!.quality.faceSize, 6);
        } else {
          expect(f.aligned.width).toBe(112);
          expect(f.quality).toEqual(all[i]!.quality);
        }
      });
      expect(floored.some((f) => f.aligned.data.length === 0)).toBe(true);
      expect(floored.some((f) => f.aligned.data.length > 0)).toBe(true);
    } finally {
      await models.release();
    }
  });
});

describeWithAssets('a photo too dark for every detector on its own pixels', () => {
  it('is searched by YuNet on the equalized image, and cropped from it', async () => {
    const models = await loadModels({ pack: 'default' });
    try {
      // Yale B, light from 110° to one side: all but a sliver of the face is black.
      const photo = await decodeImage(asset('faces', 'yaleb', 'yaleB16', 'yaleB16_P00A-110E+65.png'));
      // What the chain looked with before: UltraFace on the equalized image, YuNet's low bar on the raw one.
      expect(await models.detector.detect(padImage(equalize(photo.image), 0.3).image)).toEqual([]);
      expect(await models.landmarks!.detect!(padImage(photo.image, 0.3).image, true)).toEqual([]);
      const faces = await locateFaces(models, photo);
      expect(faces).toHaveLength(1);
      const face = faces[0]!;
      expect(face.box[0]).toBeGreaterThanOrEqual(0);
      expect(face.box[2]).toBeLessThanOrEqual(photo.originalWidth);
      expect(face.aligned.width).toBe(112);
      // The equalized crop is named as the right person among three, by their first three photos
      // (lit from the front); the raw pixels at the same points look less like them.
      const best = new Map<string, number>();
      const [fromEqualized, fromRaw] = await models.recognizer.embed([
        face.aligned,
        alignFace(
          photo.image,
          face.landmarks.map(([x, y]) => [x * photo.scale, y * photo.scale]),
          112,
        ),
      ]);
      let rawToOwn = -1;
      for (const person of ['yaleB13', 'yaleB16', 'yaleB18']) {
        for (const f of readdirSync(asset('faces', 'yaleb', person))
          .sort()
          .slice(0, 3)) {
          const shot = largestFace(
            await analyseImage(models, await decodeImage(asset('faces', 'yaleb', person, f))),
          );
          if (!shot) continue;
          best.set(person, Math.max(best.get(person) ?? -1, dot(fromEqualized!, shot.embedding)));
          if (person === 'yaleB16') rawToOwn = Math.max(rawToOwn, dot(fromRaw!, shot.embedding));
        }
      }
      const ranked = [...best].sort((a, b) => b[1] - a[1]);
      expect(ranked[0]![0]).toBe('yaleB16');
      expect(ranked[0]![1]).toBeGreaterThan(rawToOwn);
    } finally {
      await models.release();
    }
  }, 120_000);
});
