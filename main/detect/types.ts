import type { Point } from '../align/similarity.js';
import type { RgbImage } from '../photo/image.js';
import type { ModelEntry } from '../catalogue/manifest.js';

export type Box = [number, number, number, number];

export interface Detection {
  /** x1, y1, x2, y2 in the analysed image's pixels. */
  box: Box;
  score: number;
  /** Left eye, right eye, nose tip, left and right mouth corner (as seen in the image); null until a landmark model fills them in. */
  landmarks: Point[] | null;
}

export interface FaceDetector {
  readonly entry: ModelEntry;
  detect(img: RgbImage): Promise<Detection[]>;
}

export interface LandmarkModel {
  readonly entry: ModelEntry;
  /** Five alignment points for each box. */
  landmarks(img: RgbImage, boxes: Box[]): Promise<Point[][]>;
  /**
   * A landmark source that is itself a detector may find the faces of whole photos (not video);
   * `lastLook`: with a lower score bar, where nothing else found a face.
   */
  detect?(img: RgbImage, lastLook?: boolean): Promise<Detection[]>;
}
