// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraView, ConsoleEvent, PreviewFrame } from '../../../main/contract/contract.js';
import { BOX_COLORS } from '../live/draw.js';
import LivePage from './LivePage.js';

// The engine is stubbed at the module boundary: cameras.list answers from `state.cameras`,
// and `emit` plays the live event stream.
const state = vi.hoisted(() => ({
  cameras: [] as unknown[],
  listeners: new Set<(e: unknown) => void>(),
}));
vi.mock('../api.js', () => ({
  ApiError: class ApiError extends Error {},
  call: vi.fn(async (method: string) => {
    if (method === 'cameras.list') return state.cameras;
    throw new Error(`unexpected call ${method}`);
  }),
  api: {
    onEvent: (l: (e: unknown) => void) => {
      state.listeners.add(l);
      return () => state.listeners.delete(l);
    },
  },
}));
function emit(e: ConsoleEvent) {
  act(() => {
    for (const l of state.listeners) l(e);
  });
}

// jsdom has no 2D canvas and no image decoder; these record what the tile paints instead.
interface Op {
  op: string;
  args: unknown[];
  strokeStyle: unknown;
}
const painted = new Map<HTMLCanvasElement, Op[]>();
const contexts = new Map<HTMLCanvasElement, Record<string, unknown>>();
function recordingContext(canvas: HTMLCanvasElement) {
  const existing = contexts.get(canvas);
  if (existing) return existing;
  const ops: Op[] = [];
  painted.set(canvas, ops);
  const ctx: Record<string, unknown> = {
    strokeStyle: '',
    fillStyle: '',
    lineWidth: 1,
    font: '',
    textBaseline: '',
  };
  for (const op of ['drawImage', 'strokeRect', 'fillRect', 'fillText'])
    ctx[op] = (...args: unknown[]) => ops.push({ op, args, strokeStyle: ctx.strokeStyle });
  ctx.measureText = (s: string) => ({ width: s.length * 7 });
  contexts.set(canvas, ctx);
  return ctx;
}
const decoded: Blob[] = [];

function camera(id: string, over: Partial<CameraView> = {}): CameraView {
  return {
    camera_id: id,
    name: `Camera ${id}`,
    location: null,
    url: 'rtsp://***@cam/stream',
    recognition_enabled: true,
    recognition_threshold: null,
    unknown_threshold: null,
    state: 'online',
    reason: null,
    fps: 8,
    last_frame_at: null,
    detections_today: 0,
    ...over,
  };
}

function preview(cameraId: string, faces: PreviewFrame['faces']): PreviewFrame {
  // Four bytes standing in for a JPEG; the decoder is the recording stub.
  return {
    type: 'preview',
    camera_id: cameraId,
    at: Date.now(),
    width: 640,
    height: 360,
    jpeg: btoa('\xff\xd8\xff\xd9'),
    faces,
  };
}

beforeEach(() => {
  painted.clear();
  contexts.clear();
  decoded.length = 0;
  state.listeners.clear();
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    return recordingContext(this) as never;
  });
  vi.stubGlobal('createImageBitmap', async (blob: Blob) => {
    decoded.push(blob);
    return { width: 640, height: 360, close: () => undefined };
  });
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('LivePage', () => {
  it('draws each preview on its camera tile with coloured boxes and names', async () => {
    state.cameras = [camera('front'), camera('back', { state: 'error', reason: 'RTSP 401', fps: 0 })];
    render(<LivePage />);
    const front = await screen.findByTestId('tile-front');
    const back = screen.getByTestId('tile-back');
    expect(front.dataset.state).toBe('online');
    expect(back.dataset.state).toBe('error');
    expect(within(back).getByTestId('camera-status').textContent).toContain('RTSP 401');
    expect(front.dataset.faces).toBe('0');

    emit(
      preview('front', [
        { bbox: [10, 20, 30, 40], label: 'Ada Lovelace', kind: 'member' },
        { bbox: [300, 50, 60, 70], label: 'Unknown U-7', kind: 'unknown' },
      ]),
    );
    emit(preview('back', [{ bbox: [5, 5, 20, 20], label: '', kind: 'pending' }]));
    await waitFor(() => expect(front.dataset.faces).toBe('2'));
    await waitFor(() => expect(back.dataset.faces).toBe('1'));

    const canvas = screen.getByTestId('tile-canvas-front') as HTMLCanvasElement;
    expect(canvas.width).toBe(640);
    expect(canvas.height).toBe(360);
    const ops = painted.get(canvas) ?? [];
    expect(ops[0]?.op).toBe('drawImage');
    expect(ops.filter((o) => o.op === 'strokeRect').map((o) => [o.args, o.strokeStyle])).toEqual([
      [[10, 20, 30, 40], BOX_COLORS.member],
      [[300, 50, 60, 70], BOX_COLORS.unknown],
    ]);
    expect(ops.filter((o) => o.op === 'fillText').map((o) => o.args[0])).toEqual([
      'Ada Lovelace',
      'Unknown U-7',
    ]);
    const backOps = painted.get(screen.getByTestId('tile-canvas-back') as HTMLCanvasElement) ?? [];
    expect(backOps.filter((o) => o.op === 'strokeRect').map((o) => o.strokeStyle)).toEqual([
      BOX_COLORS.pending,
    ]);
    expect(decoded[0]?.type).toBe('image/jpeg');
    expect(decoded[0]?.size).toBe(4);

    // The next preview replaces the boxes; a status event updates the badge.
    emit(preview('front', [{ bbox: [1, 2, 3, 4], label: 'Bo', kind: 'member' }]));
    await waitFor(() => expect(front.dataset.faces).toBe('1'));
    expect(ops.filter((o) => o.op === 'drawImage')).toHaveLength(2);
    expect(ops.filter((o) => o.op === 'strokeRect').at(-1)?.args).toEqual([1, 2, 3, 4]);
    emit({ type: 'camera_status', cameraId: 'front', state: 'connecting', reason: null, fps: 0 });
    expect(front.dataset.state).toBe('connecting');
    expect(within(front).getByTestId('camera-status').textContent).toBe('reconnecting');

    // Enlarged, the camera gets its own canvas, drawn from the next preview.
    fireEvent.click(front);
    const large = (await screen.findByTestId('enlarged-canvas-front')) as HTMLCanvasElement;
    emit(preview('front', [{ bbox: [7, 8, 9, 10], label: 'Cy', kind: 'unknown' }]));
    await waitFor(() => expect(large.width).toBe(640));
    expect((painted.get(large) ?? []).filter((o) => o.op === 'strokeRect').map((o) => o.args)).toEqual([
      [7, 8, 9, 10],
    ]);
  });

  it('lists recognitions newest first in the side feed', async () => {
    state.cameras = [camera('front')];
    render(<LivePage />);
    await screen.findByTestId('tile-front');
    const base = {
      type: 'recognition' as const,
      camera_id: 'front',
      confidence: 0.9,
      bbox: [0, 0, 1, 1] as [number, number, number, number],
      at: Date.now(),
    };
    emit({ ...base, track_id: 1, kind: 'known_member', member_id: 'm1', name: 'Ada' });
    emit({ ...base, track_id: 2, kind: 'new_unknown', unknown_id: 'u1', name: 'Unknown u1' });
    const items = screen.getAllByTestId('feed-item');
    expect(items.map((i) => i.textContent?.split(' ')[0])).toEqual(['Unknown', 'Ada']);
    expect(items[1]?.textContent).toContain('Camera front');
  });

  it('says so when there are no cameras', async () => {
    state.cameras = [];
    render(<LivePage />);
    expect((await screen.findByTestId('empty')).textContent).toContain('No cameras');
  });
});
