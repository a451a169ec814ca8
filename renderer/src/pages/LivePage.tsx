import Box from '@mui/material/Box';
import Dialog from '@mui/material/Dialog';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Pagination from '@mui/material/Pagination';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import type { CameraView } from '../../../main/contract/contract.js';
import { CameraStatusChip } from '../components/CameraStatusChip.js';
import { CameraTile } from '../components/CameraTile.js';
import { PreviewCanvas } from '../components/PreviewCanvas.js';
import { RecognitionFeed } from '../components/RecognitionFeed.js';
import { EmptyState, ErrorState, Loading } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';
import { useNow } from '../hooks/useNow.js';
import { useOnReconnect } from '../hooks/useReconnect.js';
import { navigate, useRoute } from '../router.js';
import { previewRate, useCameraLive } from '../store/cameras.js';

const LAYOUTS = [1, 4, 9, 16] as const;
type Layout = (typeof LAYOUTS)[number];

/** The camera grid with live previews, and the recognitions as they happen. */
export default function LivePage() {
  const cameras = useCall('cameras.list', {});
  // Until the guard picks a layout, the smallest grid that shows every camera (one camera: full width).
  const [chosen, setLayout] = useState<Layout | null>(null);
  const [page, setPage] = useState(1);
  // The enlarged camera is part of the address (#/live/CAMERA), so an alert can link to it.
  const routeId = useRoute((r) => (r.page === 'live' ? r.id : null));
  const setOpen = (c: CameraView | null) => navigate('live', c?.camera_id ?? null);
  // Camera states live in a store fed by events (store/cameras); the list seeds it.
  const seed = useCameraLive((s) => s.seed);
  const live = useCameraLive((s) => s.cameras);
  const now = useNow(1000);
  useEffect(() => {
    if (cameras.data) seed(cameras.data);
  }, [cameras.data, seed]);
  useOnReconnect(cameras.reload);
  useConsoleEvent('camera_status', (e) => {
    // A camera added elsewhere announces itself by its first status.
    if (cameras.data && !cameras.loading && !cameras.data.some((c) => c.camera_id === e.camera_id))
      cameras.reload();
  });

  const list = cameras.data ?? [];
  const statusOf = (c: CameraView) => {
    const l = live[c.camera_id];
    return l
      ? { state: l.state, reason: l.reason, fps: l.fps, lastError: l.lastError }
      : { state: c.state, reason: c.reason, fps: c.fps, lastError: c.last_error ?? null };
  };
  const open = list.find((c) => c.camera_id === routeId) ?? null;
  const nameOf = (id: string) => list.find((c) => c.camera_id === id)?.name ?? id;
  const layout: Layout = chosen ?? LAYOUTS.find((n) => n >= list.length) ?? 16;
  const pages = Math.max(1, Math.ceil(list.length / layout));
  const shown = list.slice((Math.min(page, pages) - 1) * layout, Math.min(page, pages) * layout);
  const columns = Math.sqrt(layout);

  let grid;
  if (cameras.loading && !cameras.data) grid = <Loading label="Loading cameras" />;
  else if (cameras.error) grid = <ErrorState message={cameras.error} onRetry={cameras.reload} />;
  else if (list.length === 0)
    grid = <EmptyState title="No cameras yet" hint="An administrator adds cameras under Settings." />;
  else
    grid = (
      <Box sx={{ display: 'grid', gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gap: 1 }}>
        {shown.map((c) => (
          <CameraTile key={c.camera_id} cameraId={c.camera_id} name={c.name} onOpen={() => setOpen(c)} />
        ))}
      </Box>
    );

  return (
    <Box data-testid="page-live" sx={{ display: 'flex', gap: 2, height: '100%', minHeight: 0 }}>
      <Box sx={{ flexGrow: 1, minWidth: 0 }}>
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 1 }}>
          <Typography variant="h5" sx={{ flexGrow: 1 }}>
            Live
          </Typography>
          {pages > 1 && (
            <Pagination
              count={pages}
              page={Math.min(page, pages)}
              onChange={(_e, p) => setPage(p)}
              size="small"
            />
          )}
          <ToggleButtonGroup
            size="small"
            exclusive
            value={layout}
            onChange={(_e, v: Layout | null) => {
              if (v) {
                setLayout(v);
                setPage(1);
              }
            }}
            aria-label="Layout"
          >
            {LAYOUTS.map((n) => (
              <ToggleButton key={n} value={n} aria-label={`${n} cameras`}>
                {n}
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
        </Stack>
        {grid}
      </Box>
      <Paper
        sx={{
          width: { xs: 240, lg: 300 },
          flexShrink: 0,
          display: 'flex',
          flexDirection: 'column',
          minHeight: 0,
        }}
      >
        <Typography variant="subtitle1" sx={{ px: 2, pt: 1 }}>
          Recognitions
        </Typography>
        <RecognitionFeed cameraName={nameOf} />
      </Paper>
      <Dialog open={open !== null} onClose={() => setOpen(null)} maxWidth="lg" fullWidth>
        {open && (
          <>
            <DialogTitle sx={{ display: 'flex', gap: 2, alignItems: 'center' }}>
              <span>{open.name}</span>
              {open.location && (
                <Typography variant="body2" color="text.secondary">
                  {open.location}
                </Typography>
              )}
              <Box sx={{ flexGrow: 1 }} />
              <CameraStatusChip status={statusOf(open)} previewFps={previewRate(live[open.camera_id], now)} />
            </DialogTitle>
            <DialogContent>
              <Box sx={{ aspectRatio: '16 / 9', maxHeight: 'calc(100vh - 180px)', bgcolor: '#000' }}>
                <PreviewCanvas cameraId={open.camera_id} testId={`enlarged-canvas-${open.camera_id}`} />
              </Box>
            </DialogContent>
          </>
        )}
      </Dialog>
    </Box>
  );
}
