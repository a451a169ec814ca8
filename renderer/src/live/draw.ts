import type { Box, PreviewFrame } from '../../../main/contract/contract.js';

type FaceKind = PreviewFrame['faces'][number]['kind'];

/** Green: a member; amber: someone unknown; grey: a track not decided yet. */
export const BOX_COLORS: Record<FaceKind, string> = {
  member: '#4caf50',
  unknown: '#ffb300',
  pending: '#9e9e9e',
};

/** A face box clipped to the frame, as the rectangle `strokeRect` takes ([x, y, width, height]). */
export function boxRect(bbox: Box, width: number, height: number): [number, number, number, number] {
  const [x1, y1, x2, y2] = bbox;
  const left = Math.max(0, Math.min(x1, x2));
  const top = Math.max(0, Math.min(y1, y2));
  const right = Math.min(width, Math.max(x1, x2));
  const bottom = Math.min(height, Math.max(y1, y2));
  return [left, top, Math.max(0, right - left), Math.max(0, bottom - top)];
}

/**
 * Paints one preview: the frame, then each face's box and label. The canvas is sized to the
 * frame, so the boxes ([x1, y1, x2, y2] in frame pixels) need no scaling; CSS scales the whole
 * canvas. Returns the number of boxes drawn.
 */
export function drawPreview(
  canvas: HTMLCanvasElement,
  frame: PreviewFrame,
  image: CanvasImageSource,
): number {
  const ctx = canvas.getContext('2d');
  if (!ctx) return 0;
  if (canvas.width !== frame.width) canvas.width = frame.width;
  if (canvas.height !== frame.height) canvas.height = frame.height;
  ctx.drawImage(image, 0, 0, frame.width, frame.height);

  // Line and text sized to the frame so labels stay readable on a 320 px and a 1080 px preview.
  const line = Math.max(2, Math.round(frame.width / 320));
  const font = Math.max(12, Math.round(frame.width / 45));
  ctx.lineWidth = line;
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  let drawn = 0;
  for (const face of frame.faces) {
    const [x, y, w, h] = boxRect(face.bbox, frame.width, frame.height);
    if (w === 0 || h === 0) continue;
    const color = BOX_COLORS[face.kind] ?? BOX_COLORS.pending;
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, w, h);
    if (face.label) {
      const pad = Math.round(font / 4);
      const tw = ctx.measureText(face.label).width + pad * 2;
      const th = font + pad * 2;
      // Above the box when there is room, inside its top edge otherwise.
      const ty = y - th >= 0 ? y - th : y;
      ctx.fillStyle = color;
      ctx.fillRect(x, ty, tw, th);
      ctx.fillStyle = '#000';
      ctx.fillText(face.label, x + pad, ty + pad);
    }
    drawn++;
  }
  return drawn;
}
