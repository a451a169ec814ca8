/**
 * bench:capacity's cameras, in a process of their own (as in bench:pipeline): the RTSP server and
 * one looped publisher per camera. argv = ffmpeg path, then `name=clip` per camera; sends {url}
 * when the streams are up; exits on SIGTERM or when the parent goes away.
 */
import dgram from 'node:dgram';
import { LoopbackRtsp } from '../testing/rtsp.js';

// The test RTSP server receives each publisher's RTP on a socket with the default 208 KB buffer:
// on a busy machine 1080p keyframes overflowed it (thousands of "receive buffer errors"), and the
// cameras then sent smeared frames no real camera sends. Its sockets get 4 MB (up to rmem_max).
const createSocket = dgram.createSocket.bind(dgram) as (type: 'udp4') => dgram.Socket;
(dgram as { createSocket: (type: 'udp4') => dgram.Socket }).createSocket = (type: 'udp4') => {
  const socket = createSocket(type);
  socket.once('listening', () => {
    try {
      socket.setRecvBufferSize(4 * 2 ** 20);
    } catch {
      // Refused by the system: the default buffer stays.
    }
  });
  return socket;
};

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
