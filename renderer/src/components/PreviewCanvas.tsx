import { useRef } from 'react';
import type { PreviewFrame } from '../../../main/contract/contract.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';
import { decodeJpeg } from '../live/decode.js';
import { drawPreview } from '../live/draw.js';

interface Props {
  cameraId: string;
  testId: string;
  /** Called after each drawn preview with the number of boxes on it. */
  onDrawn?(faces: number): void;
}

/**
 * The camera's latest preview with its face boxes. While one frame decodes, newer ones replace
 * the waiting one instead of queueing: a slow machine shows fewer frames, never old ones.
 */
export function PreviewCanvas({ cameraId, testId, onDrawn }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const busy = useRef(false);
  const waiting = useRef<PreviewFrame | null>(null);
  const onDrawnRef = useRef(onDrawn);
  onDrawnRef.current = onDrawn;

  const render = async (frame: PreviewFrame) => {
    busy.current = true;
    try {
      const img = await decodeJpeg(frame.jpeg);
      try {
        if (canvas.current) {
          const faces = drawPreview(canvas.current, frame, img.source);
          // The boxes of the picture on the canvas, in its pixels: lets a test (or a curious
          // guard in the inspector) check where each box was drawn against what the engine sent.
          canvas.current.dataset.boxes = JSON.stringify(frame.faces.map((f) => f.bbox));
          onDrawnRef.current?.(faces);
        }
      } finally {
        img.release();
      }
    } catch {
      // A frame that does not decode is skipped; the next one follows within a second.
    } finally {
      busy.current = false;
    }
    const next = waiting.current;
    waiting.current = null;
    if (next) void render(next);
  };

  useConsoleEvent('preview', (e) => {
    if (e.camera_id !== cameraId) return;
    if (busy.current) waiting.current = e;
    else void render(e);
  });

  return (
    <canvas
      ref={canvas}
      data-testid={testId}
      aria-label={`Live view of camera ${cameraId}`}
      style={{ width: '100%', height: '100%', objectFit: 'contain', display: 'block', background: '#000' }}
    />
  );
}
