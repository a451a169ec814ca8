/**
 * bench:capacity's cameras, in a process of their own (as in bench:pipeline): the RTSP server and
 * one looped publisher per camera. argv = ffmpeg path, then `name=clip` per camera; sends {url}
 * when the streams are up; exits on SIGTERM or when the parent goes away.
 */
import { LoopbackRtsp } from '../testing/rtsp.js';

const [ffmpeg, ...cameras] = process.argv.slice(2) as [string, ...string[]];
const rtsp = await LoopbackRtsp.start(ffmpeg);
for (const c of cameras) {
  const at = c.indexOf('=');
  rtsp.publish(c.slice(0, at), c.slice(at + 1));
}
const stop = () => {
  rtsp.stopAll();
  setTimeout(() => process.exit(0), 300);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.send?.({ url: rtsp.url('CAM') });
