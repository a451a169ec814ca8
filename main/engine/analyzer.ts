import type { DecodedImage, RgbImage } from '../photo/image.js';
import type { LoadedModels } from '../zoo/zoo.js';
import { locateFaces, type LocatedFace, type LocateOptions } from './analyze.js';

/** The two inference steps the live pipeline needs, wherever they run. */
export interface Analyzer {
  locate(image: RgbImage, options?: LocateOptions): Promise<LocatedFace[]>;
  /** locate() that may move the frame's pixels elsewhere; use the returned image afterwards. */
  locateMoving(image: RgbImage, options?: LocateOptions): Promise<{ faces: LocatedFace[]; image: RgbImage }>;
  embed(crops: RgbImage[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

const asDecoded = (image: RgbImage): DecodedImage => ({
  image,
  originalWidth: image.width,
  originalHeight: image.height,
  scale: 1,
});

/** Inference on the calling thread (CLI, tests). */
export class InProcessAnalyzer implements Analyzer {
  constructor(private readonly models: LoadedModels) {}

  locate(image: RgbImage, options: LocateOptions = {}): Promise<LocatedFace[]> {
    return locateFaces(this.models, asDecoded(image), options);
  }

  async locateMoving(image: RgbImage, options: LocateOptions = {}) {
    return { faces: await this.locate(image, options), image };
  }

  embed(crops: RgbImage[]): Promise<Float32Array[]> {
    return this.models.recognizer.embed(crops);
  }

  async close(): Promise<void> {}
}
