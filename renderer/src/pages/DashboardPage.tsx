import Box from '@mui/material/Box';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useTheme, type Theme } from '@mui/material/styles';
import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { CameraState, CameraView, DashboardSummary } from '../../../main/contract/contract.js';
import { ChartCanvas } from '../components/ChartCanvas.js';
import { formatAgo } from '../components/format.js';
import { EmptyState, ErrorState, Loading } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { useNow } from '../hooks/useNow.js';
import { useCameraLive } from '../store/cameras.js';

const STATE_COLOR: Record<CameraState, 'success' | 'warning' | 'error' | 'default'> = {
  online: 'success',
  connecting: 'warning',
  offline: 'error',
  error: 'error',
  disabled: 'default',
};

const REFRESH_MS = 30_000;

export default function DashboardPage() {
  const [days, setDays] = useState(14);
  const summary = useCall('dashboard.summary', { days }, [days]);
  const s = summary.data;
  // A dashboard left open on a guard-room screen must not become a snapshot: it refreshes itself
  // and says how old its figures are.
  const { reload } = summary;
  useEffect(() => {
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);
  const [updated, setUpdated] = useState<number | null>(null);
  useEffect(() => {
    if (s) setUpdated(Date.now());
  }, [s]);
  const now = useNow(1000);

  return (
    <Box data-testid="page-dashboard" sx={{ p: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 2 }}>
        <Typography variant="h5" component="h1" sx={{ flexGrow: 1 }}>
          Dashboard
        </Typography>
        <Typography variant="caption" color="text.secondary" sx={{ mr: 2 }} data-testid="dashboard-age">
          {updated === null
            ? 'Loading…'
            : `Updated ${Math.max(0, Math.round((now - updated) / 1000))} s ago · refreshes every ${REFRESH_MS / 1000} s`}
        </Typography>
        <TextField
          select
          size="small"
          label="Period"
          value={days}
          onChange={(e) => setDays(Number(e.target.value))}
          sx={{ minWidth: 140 }}
        >
          {[7, 14, 30, 90].map((d) => (
            <MenuItem key={d} value={d}>
              Last {d} days
            </MenuItem>
          ))}
        </TextField>
      </Stack>
      {summary.error ? (
        <ErrorState message={summary.error} onRetry={summary.reload} />
      ) : !s ? (
        <Loading />
      ) : (
        <Summary s={s} />
      )}
    </Box>
  );
}

function Summary({ s }: { s: DashboardSummary }) {
  const theme = useTheme();
  const perDay = useMemo(() => perDayChart(s, theme), [s, theme]);
  const perCamera = useMemo(() => perCameraChart(s, theme), [s, theme]);
  const hours = useMemo(() => hoursChart(s, theme), [s, theme]);
  const totals: [string, number][] = [
    ['Members', s.totals.members],
    ['Active unknowns', s.totals.unknowns_active],
    ['Open alerts', s.totals.alerts_open],
    ['Sightings today', s.totals.appearances_today],
  ];

  return (
    <Stack spacing={2}>
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(4, 1fr)', gap: 2 }}>
        {totals.map(([label, n]) => (
          <Card key={label} variant="outlined">
            <CardContent sx={{ py: 1.5, '&:last-child': { pb: 1.5 } }}>
              <Typography variant="body2" color="text.secondary">
                {label}
              </Typography>
              <Typography
                variant="h4"
                component="p"
                data-testid={`total-${label.toLowerCase().replace(/ /g, '-')}`}
              >
                {n}
              </Typography>
            </CardContent>
          </Card>
        ))}
      </Box>
      <Box sx={{ display: 'grid', gridTemplateColumns: '2fr 1fr', gap: 2 }}>
        <Panel title="Detections per day">
          {s.days.length ? (
            <ChartCanvas config={perDay} label="Detections per day" />
          ) : (
            <EmptyState title="No data" />
          )}
        </Panel>
        <Panel title="Per camera">
          {s.per_camera.length ? (
            <ChartCanvas config={perCamera} label="Detections per camera" />
          ) : (
            <EmptyState title="No detections yet" />
          )}
        </Panel>
      </Box>
      <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 2 }}>
        <Panel title="Busiest hours">
          <ChartCanvas config={hours} label="Detections by hour of day" height={200} />
        </Panel>
        <Panel title="Camera health">
          <CameraHealth cameras={s.cameras} />
        </Panel>
      </Box>
    </Stack>
  );
}

function Panel({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="subtitle1" component="h2" gutterBottom>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

/**
 * The summary's camera list; states come from the console's one live camera store (kept by
 * camera_status events for every page), which each fresh summary seeds.
 */
function CameraHealth({ cameras }: { cameras: CameraView[] }) {
  const live = useCameraLive((s) => s.cameras);
  const seed = useCameraLive((s) => s.seed);
  useEffect(() => seed(cameras), [cameras, seed]);
  // Re-render once in a while so "last frame 5 s ago" does not freeze.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);

  if (cameras.length === 0) return <EmptyState title="No cameras" hint="Add one under Settings → Cameras." />;
  return (
    <Box sx={{ maxHeight: 220, overflow: 'auto' }}>
      <Table size="small" aria-label="Camera health">
        <TableHead>
          <TableRow>
            <TableCell>Camera</TableCell>
            <TableCell>State</TableCell>
            <TableCell align="right">FPS</TableCell>
            <TableCell>Last frame</TableCell>
            <TableCell align="right">Today</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {cameras.map((c) => {
            const ev = live[c.camera_id];
            const state = ev?.state ?? c.state;
            const reason = ev ? ev.reason : c.reason;
            return (
              <TableRow key={c.camera_id} data-testid="camera-health-row" data-id={c.camera_id}>
                <TableCell>{c.name}</TableCell>
                <TableCell>
                  <Chip size="small" label={state} color={STATE_COLOR[state]} title={reason ?? undefined} />
                </TableCell>
                <TableCell align="right">{(ev?.fps ?? c.fps).toFixed(1)}</TableCell>
                <TableCell>{formatAgo(c.last_frame_at, now)}</TableCell>
                <TableCell align="right">{c.detections_today}</TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
}

// ---- chart configurations ---------------------------------------------------------------------

function axes(theme: Theme, stacked: boolean) {
  const ticks = { color: theme.palette.text.secondary };
  const grid = { color: theme.palette.divider };
  return {
    x: { stacked, ticks, grid },
    y: { stacked, beginAtZero: true, ticks: { ...ticks, precision: 0 }, grid },
  };
}

function legend(theme: Theme, display = true) {
  return { display, labels: { color: theme.palette.text.secondary } };
}

function perDayChart(s: DashboardSummary, theme: Theme): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: s.days.map((d) => d.day.slice(5)),
      datasets: [
        { label: 'Known', data: s.days.map((d) => d.known), backgroundColor: theme.palette.success.main },
        { label: 'Unknown', data: s.days.map((d) => d.unknown), backgroundColor: theme.palette.warning.main },
      ],
    },
    options: { maintainAspectRatio: false, scales: axes(theme, true), plugins: { legend: legend(theme) } },
  };
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

function perCameraChart(s: DashboardSummary, theme: Theme): ChartConfiguration<'doughnut'> {
  const names = new Map(s.cameras.map((c) => [c.camera_id, c.name]));
  return {
    type: 'doughnut',
    data: {
      labels: s.per_camera.map((p) => names.get(p.camera_id) ?? p.camera_id),
      datasets: [
        {
          label: 'Detections',
          data: s.per_camera.map((p) => p.count),
          backgroundColor: s.per_camera.map((_, i) => PALETTE[i % PALETTE.length]!),
          borderColor: theme.palette.background.paper,
        },
      ],
    },
    options: { maintainAspectRatio: false, plugins: { legend: { ...legend(theme), position: 'bottom' } } },
  };
}

function hoursChart(s: DashboardSummary, theme: Theme): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')),
      datasets: [
        {
          label: 'Detections',
          data: Array.from({ length: 24 }, (_, h) => s.busiest_hours[h] ?? 0),
          backgroundColor: theme.palette.primary.main,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      scales: axes(theme, false),
      plugins: { legend: legend(theme, false) },
    },
  };
}
