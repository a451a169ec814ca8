import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { useNow } from '../hooks/useNow.js';
import { previewRate, staleness, useCameraLive } from '../store/cameras.js';
import { CameraStatusChip } from './CameraStatusChip.js';
import { PreviewCanvas } from './PreviewCanvas.js';

interface Props {
  cameraId: string;
  name: string;
  onOpen(): void;
}

function clock(t: number | null): string {
  return t === null ? '' : new Date(t).toLocaleTimeString();
}

/**
 * One camera in the live grid; clicking (or Enter) opens it large. A tile whose picture cannot be
 * trusted (engine unreachable, camera not online, no new picture for 4 s) is greyed and says
 * what is wrong and since when, instead of showing a frozen frame as if it were live.
 */
export function CameraTile({ cameraId, name, onOpen }: Props) {
  const [faces, setFaces] = useState(0);
  const now = useNow(1000);
  const live = useCameraLive((s) => s.cameras[cameraId]);
  const connection = useCameraLive((s) => s.connection);
  const connectionSince = useCameraLive((s) => s.connectionSince);
  const stale = staleness(live, connection, connectionSince, now);
  const state = connection !== 'open' ? 'unreachable' : (live?.state ?? 'connecting');
  return (
    <Paper
      data-testid={`tile-${cameraId}`}
      data-faces={faces}
      data-state={state}
      data-stale={stale.stale ? 'true' : 'false'}
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
      <Box
        sx={{
          width: '100%',
          height: '100%',
          filter: stale.stale ? 'grayscale(1) brightness(0.45)' : 'none',
          transition: 'filter 0.3s',
        }}
      >
        <PreviewCanvas cameraId={cameraId} testId={`tile-canvas-${cameraId}`} onDrawn={setFaces} />
      </Box>
      <Box
        sx={{
          position: 'absolute',
          inset: 0,
          p: 0.75,
          display: 'flex',
          flexWrap: 'wrap',
          justifyContent: 'space-between',
          alignItems: 'flex-start',
          gap: 0.5,
          pointerEvents: 'none',
        }}
      >
        <Typography
          variant="body2"
          title={name}
          sx={{
            bgcolor: 'rgba(0,0,0,0.6)',
            px: 0.75,
            borderRadius: 1,
            fontWeight: 600,
            flex: '0 1 auto',
            minWidth: '4em',
            overflowWrap: 'anywhere',
          }}
        >
          {name}
        </Typography>
      </Box>
      {/* State and rates at the foot of the tile: names on the top edge of faces stay visible. */}
      <Box
        sx={{
          position: 'absolute',
          right: 6,
          bottom: 6,
          left: 6,
          display: 'flex',
          justifyContent: 'flex-end',
          pointerEvents: 'none',
        }}
      >
        <CameraStatusChip
          status={{
            state: live?.state ?? 'connecting',
            reason: live?.reason ?? null,
            fps: live?.fps ?? 0,
          }}
          previewFps={previewRate(live, now)}
          unreachable={connection !== 'open'}
        />
      </Box>
      {stale.stale && (
        <Box
          data-testid="tile-stale"
          role="status"
          sx={{
            position: 'absolute',
            inset: 0,
            display: 'grid',
            placeItems: 'center',
            textAlign: 'center',
            p: 2,
            pointerEvents: 'none',
          }}
        >
          <Box sx={{ bgcolor: 'rgba(0,0,0,0.7)', borderRadius: 1, px: 1.5, py: 1, maxWidth: '90%' }}>
            <Typography variant="subtitle2" sx={{ fontWeight: 700 }}>
              {stale.label}
              {stale.since !== null && ` since ${clock(stale.since)}`}
            </Typography>
            {stale.detail && (
              <Typography variant="caption" sx={{ display: 'block', overflowWrap: 'anywhere' }}>
                {stale.detail}
              </Typography>
            )}
          </Box>
        </Box>
      )}
    </Paper>
  );
}
