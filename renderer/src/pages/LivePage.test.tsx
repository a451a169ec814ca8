// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraView, ConsoleEvent, PreviewFrame } from '../../../main/contract/contract.js';
import { BOX_COLORS } from '../live/draw.js';
import { startCameraLive } from '../store/cameras.js';
import { startFeed } from '../store/feed.js';
import { useSession } from '../store/session.js';
import LivePage from './LivePage.js';

// The engine is stubbed at the module boundary: cameras.list answers from `state.cameras`,
// and `emit` plays the live event stream.
const state = vi.hoisted(() => ({
  cameras: [] as unknown[],
  recent: [] as unknown[],
  listeners: new Set<(e: unknown) => void>(),
}));
vi.mock('../api.js', () => ({
  ApiError: class ApiError extends Error {},
  call: vi.fn(async (method: string) => {
    if (method === 'cameras.list') return state.cameras;
    if (method === 'appearances.recent') return state.recent;
    throw new Error(`unexpected call ${method}`);
  }),
  connectionState: () => 'open',
  onSessionEnded: () => () => undefined,
  forgetSession: () => undefined,
  onConnection: () => () => undefined,
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

let stops: (() => void)[] = [];
beforeEach(() => {
  // What the shell starts at sign-in: camera states and the recognitions feed.
  state.listeners.clear();
  stops = [startCameraLive(), startFeed()];
  useSession.setState({
    user: {
      username: 'guard',
      role: 'security',
      permissions: ['live.view', 'members.view', 'unknowns.view'],
    },
  });
  painted.clear();
  contexts.clear();
  decoded.length = 0;
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    return recordingContext(this) as never;
  });
  vi.stubGlobal('createImageBitmap', async (blob: Blob) => {
    decoded.push(blob);
    return { width: 640, height: 360, close: () => undefined };
  });
});
afterEach(() => {
  for (const stop of stops) stop();
  state.recent = [];
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('LivePage', () => {
  it('draws each box where the face is: [x1, y1, x2, y2] in the frame, clipped to it', async () => {
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
        { bbox: [300, 50, 360, 120], label: 'Unknown U-7', kind: 'unknown' },
        // A face leaving the frame at the bottom right: its box stops at the frame's edge.
        { bbox: [600, 300, 700, 400], label: '', kind: 'pending' },
      ]),
    );
    emit(preview('back', [{ bbox: [5, 5, 20, 20], label: '', kind: 'pending' }]));
    await waitFor(() => expect(front.dataset.faces).toBe('3'));
    await waitFor(() => expect(back.dataset.faces).toBe('1'));

    const canvas = screen.getByTestId('tile-canvas-front') as HTMLCanvasElement;
    expect(canvas.width).toBe(640);
    expect(canvas.height).toBe(360);
    const ops = painted.get(canvas) ?? [];
    expect(ops[0]?.op).toBe('drawImage');
    // strokeRect takes x, y, width, height: the right and bottom edges land on x2 and y2.
    expect(ops.filter((o) => o.op === 'strokeRect').map((o) => [o.args, o.strokeStyle])).toEqual([
      [[10, 20, 20, 20], BOX_COLORS.member],
      [[300, 50, 60, 70], BOX_COLORS.unknown],
      [[600, 300, 40, 60], BOX_COLORS.pending],
    ]);
    expect(JSON.parse(canvas.dataset.boxes ?? '[]')).toEqual([
      [10, 20, 30, 40],
      [300, 50, 360, 120],
      [600, 300, 700, 400],
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
    expect(ops.filter((o) => o.op === 'strokeRect').at(-1)?.args).toEqual([1, 2, 2, 2]);
    emit({ type: 'camera_status', camera_id: 'front', state: 'connecting', reason: null, fps: 0 });
    expect(front.dataset.state).toBe('connecting');
    expect(within(front).getByTestId('camera-status').textContent).toBe('reconnecting');

    // Enlarged, the camera gets its own canvas, drawn from the next preview.
    fireEvent.click(front);
    const large = (await screen.findByTestId('enlarged-canvas-front')) as HTMLCanvasElement;
    emit(preview('front', [{ bbox: [7, 8, 9, 10], label: 'Cy', kind: 'unknown' }]));
    await waitFor(() => expect(large.width).toBe(640));
    expect((painted.get(large) ?? []).filter((o) => o.op === 'strokeRect').map((o) => o.args)).toEqual([
      [7, 8, 2, 2],
    ]);
  });

  it('lists recognitions newest first, with one similarity figure and the decision in words', async () => {
    state.cameras = [camera('front')];
    render(<LivePage />);
    await screen.findByTestId('tile-front');
    const base = {
      type: 'recognition' as const,
      camera_id: 'front',
      bbox: [0, 0, 1, 1] as [number, number, number, number],
    };
    const t = Date.now();
    emit({
      ...base,
      at: t,
      track_id: 1,
      kind: 'known_member',
      member_id: 'm1',
      name: 'Ada',
      confidence: 0.61,
      similarity: 0.61,
    });
    emit({
      ...base,
      at: t + 1,
      track_id: 2,
      kind: 'new_unknown',
      unknown_id: 'u1',
      name: 'Unknown u1',
      confidence: 0.93,
      similarity: null,
    });
    emit({
      ...base,
      at: t + 2,
      track_id: 3,
      kind: 'recurring_unknown',
      unknown_id: 'u2',
      name: 'UNKNOWN_u2',
      confidence: 0.55,
      similarity: 0.55,
    });
    const items = screen.getAllByTestId('feed-item');
    expect(items.map((i) => i.getAttribute('data-person'))).toEqual(['u2', 'u1', 'm1']);
    expect(items[2]?.textContent).toContain('Camera front');
    expect(items[2]?.textContent).toContain('Member');
    expect(items[2]?.textContent).toContain('similarity 0.61');
    // A new stranger's 0.93 is 1 − best similarity, not a similarity: it is not shown as one.
    expect(items[1]?.textContent).toContain('New stranger');
    expect(items[1]?.textContent).not.toContain('0.93');
    expect(items[0]?.textContent).toContain('similarity 0.55');
    // Each opens the person: members on Members, strangers in Review.
    expect(items[2]?.getAttribute('href')).toBe('#/members/m1');
    expect(items[0]?.getAttribute('href')).toBe('#/review/u2');
  });

  it('keeps the feed across page changes and back-fills it from the engine on sign-in', async () => {
    for (const stop of stops) stop();
    state.recent = [
      {
        appearance_id: 7,
        camera_id: 'front',
        person_kind: 'member',
        person_id: 'm9',
        name: 'Grace Hopper',
        similarity: 0.58,
        first_seen: new Date(Date.now() - 120_000).toISOString(),
        last_seen: new Date(Date.now() - 100_000).toISOString(),
        has_crop: false,
      },
    ];
    stops = [startCameraLive(), startFeed()];
    state.cameras = [camera('front')];
    const first = render(<LivePage />);
    await waitFor(() => expect(screen.getAllByTestId('feed-item')).toHaveLength(1));
    first.unmount();
    // Another page is shown meanwhile; a recognition arrives there.
    emit({
      type: 'recognition',
      camera_id: 'front',
      bbox: [0, 0, 1, 1],
      at: Date.now(),
      track_id: 4,
      kind: 'known_member',
      member_id: 'm1',
      name: 'Ada',
      confidence: 0.7,
      similarity: 0.7,
    });
    render(<LivePage />);
    const items = await screen.findAllByTestId('feed-item');
    expect(items.map((i) => i.getAttribute('data-person'))).toEqual(['m1', 'm9']);
  });

  it('greys a tile and says since when once its pictures stop', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      state.cameras = [camera('front')];
      render(<LivePage />);
      const tile = await screen.findByTestId('tile-front');
      emit(preview('front', []));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1000);
      });
      expect(tile.dataset.stale).toBe('false');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(5000);
      });
      expect(tile.dataset.stale).toBe('true');
      expect(within(tile).getByTestId('tile-stale').textContent).toMatch(/No picture since/);
      emit({
        type: 'camera_status',
        camera_id: 'front',
        state: 'offline',
        reason: 'the stream ended',
        fps: 0,
      });
      expect(within(tile).getByTestId('tile-stale').textContent).toMatch(/Offline since .*the stream ended/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says so when there are no cameras', async () => {
    state.cameras = [];
    render(<LivePage />);
    expect((await screen.findByTestId('empty')).textContent).toContain('No cameras');
  });
});
