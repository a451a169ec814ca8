import type { RgbImage } from '../photo/image.js';
import type { InputSpec } from '../catalogue/manifest.js';
import { regionToTensor } from '../runtime/preprocess.js';

export interface LetterboxInput {
  tensor: Float32Array;
  width: number;
  height: number;
  /** tensor pixels per image pixel */
  scale: number;
}

/**
 * Fits the image into the detector's input keeping its aspect ratio, padded right and bottom.
 * For a model with a dynamic input size the padding is trimmed to the next multiple of 32.
 */
export function letterbox(img: RgbImage, spec: InputSpec): LetterboxInput {
  const scale = Math.min(spec.width / img.width, spec.height / img.height);
  const width = spec.dynamic_size ? Math.max(32, Math.ceil((img.width * scale) / 32) * 32) : spec.width;
  const height = spec.dynamic_size ? Math.max(32, Math.ceil((img.height * scale) / 32) * 32) : spec.height;
  const tensor = new Float32Array(3 * width * height);
  regionToTensor(
    img,
    { x: 0, y: 0, w: img.width, h: img.height },
    { ...spec, resize: 'letterbox' },
    tensor,
    0,
    {
      width,
      height,
    },
  );
  return { tensor, width, height, scale };
}
