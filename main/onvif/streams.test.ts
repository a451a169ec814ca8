import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOnvifDevice } from '../testing/onvif-device.js';
import { streamUris } from './discover.js';

describe('ONVIF stream URIs', () => {
  const device = new FakeOnvifDevice('operator', [
    { token: 'main', name: 'Main stream', uri: 'rtsp://127.0.0.1:554/Streaming/Channels/101' },
    { token: 'sub', name: 'Sub stream', uri: 'rtsp://127.0.0.1:554/Streaming/Channels/102' },
  ]);
  let xaddr: string;
  beforeAll(async () => {
    xaddr = await device.start();
  });
  afterAll(() => device.close());

  it("lists each media profile's RTSP URI with the camera's credentials", async () => {
    expect(await streamUris(xaddr, { username: 'operator', password: 'secret' })).toEqual([
      { profile: 'Main stream', uri: 'rtsp://127.0.0.1:554/Streaming/Channels/101' },
      { profile: 'Sub stream', uri: 'rtsp://127.0.0.1:554/Streaming/Channels/102' },
    ]);
  });

  it('refuses with a sentence when the camera refuses the user', async () => {
    await expect(streamUris(xaddr, { username: 'intruder', password: 'x' })).rejects.toThrow(
      /The camera at 127\.0\.0\.1:\d+ refused the connection/,
    );
  });

  it('gives up with a sentence when a camera answers in a way the library cannot finish', async () => {
    const odd = new FakeOnvifDevice(
      'operator',
      [{ token: 'main', name: 'Main', uri: 'rtsp://127.0.0.1/x' }],
      false,
    );
    const at = await odd.start();
    try {
      await expect(streamUris(at, { username: 'operator', password: 'secret' }, 300)).rejects.toThrow(
        /did not finish answering in time/,
      );
    } finally {
      await odd.close();
    }
  });
});
