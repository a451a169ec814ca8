import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import { useEffect, useRef, useState } from 'react';
import { readAsBase64 } from '../enroll/photos.js';

interface Props {
  disabled?: boolean;
  /** One grabbed frame as a JPEG, base64. */
  onCapture(photo: { name: string; data: string; mime: string }): void;
}

/** A webcam preview with a "Take photo" button; the stream stops when closed or unmounted. */
export function WebcamCapture({ disabled = false, onCapture }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shots = useRef(0);

  useEffect(() => {
    if (video.current && stream) video.current.srcObject = stream;
    return () => stream?.getTracks().forEach((t) => t.stop());
  }, [stream]);

  const start = async () => {
    setError(null);
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser offers no camera access');
      setStream(
        await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false }),
      );
    } catch (e) {
      setError(`The camera cannot be opened: ${e instanceof Error ? e.message : String(e)}.`);
    }
  };

  const grab = async () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext('2d')?.drawImage(v, 0, 0);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.92));
    if (!blob) return setError('The frame could not be captured; please try again.');
    shots.current++;
    onCapture({ name: `camera-${shots.current}.jpg`, data: await readAsBase64(blob), mime: 'image/jpeg' });
  };

  if (!stream)
    return (
      <Stack spacing={1}>
        <Button variant="outlined" onClick={() => void start()} disabled={disabled}>
          Use the camera
        </Button>
        {error && <Alert severity="error">{error}</Alert>}
      </Stack>
    );
  return (
    <Stack spacing={1}>
      <Box
        component="video"
        ref={video}
        autoPlay
        playsInline
        muted
        aria-label="Camera preview"
        sx={{ width: '100%', maxHeight: 360, bgcolor: '#000', borderRadius: 1 }}
      />
      <Stack direction="row" spacing={1}>
        <Button variant="contained" onClick={() => void grab()} disabled={disabled}>
          Take photo
        </Button>
        <Button onClick={() => setStream(null)}>Close camera</Button>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}
