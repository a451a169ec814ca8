import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { CameraStatusChip, type LiveStatus } from './CameraStatusChip.js';
import { PreviewCanvas } from './PreviewCanvas.js';

interface Props {
  cameraId: string;
  name: string;
  status: LiveStatus;
  onOpen(): void;
}

/** One camera in the live grid; clicking (or Enter) opens it large. */
export function CameraTile({ cameraId, name, status, onOpen }: Props) {
  const [faces, setFaces] = useState(0);
  return (
    <Paper
      data-testid={`tile-${cameraId}`}
      data-faces={faces}
      data-state={status.state}
      role="button"
      tabIndex={0}
      aria-label={`Open camera ${name}`}
      onClick={onOpen}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onOpen();
        }
      }}
      sx={{
        position: 'relative',
        overflow: 'hidden',
        cursor: 'pointer',
        aspectRatio: '16 / 9',
        bgcolor: '#000',
      }}
    >
      <PreviewCanvas cameraId={cameraId} testId={`tile-canvas-${cameraId}`} onDrawn={setFaces} />
      <Box
        sx={{
          position: 'absolute',
          inset: 0,
          p: 0.75,
          display: 'flex',
          justifyContent: 'space-between',
          alignItems: 'flex-start',
          gap: 1,
          pointerEvents: 'none',
        }}
      >
        <Typography
          variant="body2"
          sx={{ bgcolor: 'rgba(0,0,0,0.6)', px: 0.75, borderRadius: 1, fontWeight: 600 }}
          noWrap
        >
          {name}
        </Typography>
        <CameraStatusChip status={status} />
      </Box>
    </Paper>
  );
}
