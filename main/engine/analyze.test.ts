import { expect, it } from 'vitest';
import { decodeImage } from '../photo/image.js';
import { loadModels } from '../zoo/zoo.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { locateFaces } from './analyze.js';

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
