import { describe, expect, it } from 'vitest';
import { splitPassword, withPassword } from './CamerasTab.js';

describe('camera password kept out of the URL field', () => {
  it('moves a typed password into its own field and puts it back, encoded, when sent', () => {
    const split = splitPassword('rtsp://admin:s3cr%40t@10.0.0.5:554/live');
    expect(split).toEqual({ url: 'rtsp://admin@10.0.0.5:554/live', password: 's3cr@t' });
    expect(withPassword(split.url, split.password!)).toBe('rtsp://admin:s3cr%40t@10.0.0.5:554/live');
  });

  it('leaves file paths, password-less URLs and the masked *** alone', () => {
    expect(splitPassword('/videos/lobby.mp4')).toEqual({ url: '/videos/lobby.mp4', password: null });
    expect(splitPassword('rtsp://10.0.0.5/live').password).toBeNull();
    expect(splitPassword('rtsp://admin:***@10.0.0.5/live').password).toBeNull();
    expect(withPassword('/videos/lobby.mp4', 'x')).toBe('/videos/lobby.mp4');
    expect(withPassword('rtsp://admin@10.0.0.5/live', '')).toBe('rtsp://admin@10.0.0.5/live');
  });
});
