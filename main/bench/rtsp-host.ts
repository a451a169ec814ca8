/**
 * The bench's stand-in for N cameras, in a process of its own: the RTSP server (pure JS) and the
 * ffmpeg publishers. In the engine's process the relay cost ~6 % of a core for 4 × 1080p and was
 * counted as engine time, competing with the event loop that a real camera never burdens.
 * Protocol: argv = ffmpeg path, clip, camera count; sends {clientPort} when the streams are up;
 * exits (stopping the publishers) on SIGTERM or when the parent goes away.
 */
import { LoopbackRtsp } from '../testing/rtsp.js';

const [ffmpeg, clip, count] = process.argv.slice(2) as [string, string, string];
const rtsp = await LoopbackRtsp.start(ffmpeg);
for (let k = 1; k <= Number(count); k++) rtsp.publish(`cam${k}`, clip);
const stop = () => {
  rtsp.stopAll();
  setTimeout(() => process.exit(0), 300);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.send?.({ url: rtsp.url('CAM') });
