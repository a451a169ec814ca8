import { describe, expect, it } from 'vitest';
import { gridTiles, halfFrameTiles, tilesFor } from './tiling.js';

describe('detection tiles', () => {
  it('cover the frame edge to edge with overlapping tiles', () => {
    const tiles = gridTiles(1280, 720, 3, 2);
    expect(tiles).toHaveLength(6);
    expect(Math.min(...tiles.map((t) => t.x))).toBe(0);
    expect(Math.max(...tiles.map((t) => t.x + t.w))).toBe(1280);
    expect(Math.max(...tiles.map((t) => t.y + t.h))).toBe(720);
    // Neighbours overlap, so a face on a seam is whole in one of them.
    expect(tiles[1]!.x).toBeLessThan(tiles[0]!.x + tiles[0]!.w);
    expect(halfFrameTiles(1280, 720)).toEqual(gridTiles(1280, 720, 2, 2));
  });

  it('shape the tiles like a stretching detector input, and keep 2×2 for a letterboxing one', () => {
    const stretch = tilesFor(1280, 720, { width: 320, height: 240, resize: 'stretch' });
    expect(stretch).toHaveLength(6);
    const aspect = stretch[0]!.w / stretch[0]!.h;
    expect(Math.abs(aspect - 4 / 3)).toBeLessThan(Math.abs((1280 * 1.15) / 2 / ((720 * 1.15) / 2) - 4 / 3));
    expect(tilesFor(960, 720, { width: 320, height: 240, resize: 'stretch' })).toHaveLength(4);
    expect(tilesFor(1280, 720, { width: 640, height: 640, resize: 'letterbox' })).toHaveLength(4);
  });
});
