import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeEachStore, freshStore } from '../testing/store-kinds.js';
import { addCamera, listCameras, normaliseCameraUrl, publicCamera, removeCamera } from './cameras.js';

describe('cameras', () => {
  it('normalises paths and accepts the supported schemes only', () => {
    expect(normaliseCameraUrl('rtsp://u:p@10.0.0.5:554/stream1')).toBe('rtsp://u:p@10.0.0.5:554/stream1');
    expect(normaliseCameraUrl('https://cam.local/mjpeg')).toBe('https://cam.local/mjpeg');
    expect(normaliseCameraUrl('package.json')).toMatch(/^file:\/\/.*\/package\.json$/);
    expect(() => normaliseCameraUrl('ftp://x/y')).toThrow(/Unsupported camera address/);
    expect(() => normaliseCameraUrl('rtsp://')).toThrow(/not a valid URL|has no host/);
    expect(() => normaliseCameraUrl('/no/such/clip.mp4')).toThrow(/does not exist/);
    // A missing relative path is named as given, never with the server's working folder.
    expect(() => normaliseCameraUrl('no-such-clip.mp4', '/srv/vigil-cwd')).toThrow(
      /^The video file no-such-clip\.mp4 does not exist\.$/,
    );
    expect(() => normaliseCameraUrl('file:///no/such/clip.mp4')).toThrow(
      /file:\/\/\/no\/such\/clip\.mp4 does not exist/,
    );
    expect(() => normaliseCameraUrl('')).toThrow(/needs a URL/);
    expect(() => normaliseCameraUrl('main')).toThrow(/main is a folder, not a video\.$/);
    expect(() => normaliseCameraUrl(pathToFileURL('main').href)).toThrow(/is a folder, not a video\.$/);
    expect(() => normaliseCameraUrl('rtsp://10.0.0.5:0/stream1')).toThrow(/has port 0; a port is 1–65535\.$/);
    expect(() => normaliseCameraUrl('rtsp://10.0.0.5:99999/stream1')).toThrow(/not a valid URL/);
  });
});

describeEachStore('stored cameras', (kind) => {
  it('adds, lists with credentials masked, refuses duplicates and bad ids, removes', async () => {
    const store = await freshStore(kind);
    const db = store.sql;
    addCamera(db, {
      id: 'door',
      name: 'Front door',
      url: 'rtsp://admin:hunter2@127.0.0.1:6554/cam1',
      loop: false,
    });
    const shown = listCameras(db).map(publicCamera);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.url).toBe('rtsp://***@127.0.0.1:6554/cam1');
    expect(JSON.stringify(shown)).not.toMatch(/hunter2/);
    expect(() => addCamera(db, { id: 'door', name: 'Again', url: 'rtsp://h/x' })).toThrow(/already exists/);
    expect(() => addCamera(db, { id: '../etc', name: 'Bad', url: 'rtsp://h/x' })).toThrow(/camera id/);
    removeCamera(db, 'door');
    expect(listCameras(db)).toEqual([]);
    expect(() => removeCamera(db, 'door')).toThrow(/No camera with id door/);
    store.close();
  });
});
