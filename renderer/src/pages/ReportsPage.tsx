import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import LinearProgress from '@mui/material/LinearProgress';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useRef, useState } from 'react';
import type { ExportedFile, Params, ProgressEvent } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { saveFile } from '../components/download.js';
import { ErrorState, sentenceOf } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';

type Kind = Params<'reports.export'>['kind'];
type Format = Params<'reports.export'>['format'];

const KINDS: { value: Kind; label: string }[] = [
  { value: 'appearances', label: 'Appearances' },
  { value: 'unknowns', label: 'Unknown persons' },
  { value: 'alerts', label: 'Alerts' },
  { value: 'audit', label: 'Audit log' },
];

/** YYYY-MM-DD of a local date, as <input type="date"> wants it. */
function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function daysAgo(n: number): Date {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return d;
}

/** The range covers whole local days: from midnight of `from` to the last millisecond of `to`. */
export function rangeOf(from: string, to: string): { from: string; to: string } | string {
  const start = new Date(`${from}T00:00:00`);
  const end = new Date(`${to}T23:59:59.999`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return 'Choose both dates.';
  if (start > end) return 'The start date is after the end date.';
  return { from: start.toISOString(), to: end.toISOString() };
}

export default function ReportsPage() {
  const [kind, setKind] = useState<Kind>('appearances');
  const [from, setFrom] = useState(() => localDate(daysAgo(7)));
  const [to, setTo] = useState(() => localDate(new Date()));
  const [selected, setSelected] = useState<string[]>([]);
  const cameras = useCall('cameras.list', {});

  const [busy, setBusy] = useState<Format | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<ExportedFile | null>(null);
  // Progress events are broadcast; only those arriving while our export runs are ours.
  const running = useRef(false);

  useConsoleEvent(
    'progress',
    useCallback((e: ProgressEvent) => {
      if (!running.current || e.task !== 'report' || e.total <= 0) return;
      setProgress(Math.min(100, Math.round((e.done / e.total) * 100)));
    }, []),
  );

  const exportAs = async (format: Format) => {
    const range = rangeOf(from, to);
    if (typeof range === 'string') {
      setError(range);
      return;
    }
    setBusy(format);
    setError(null);
    setDone(null);
    setProgress(null);
    running.current = true;
    try {
      const file = await call('reports.export', {
        kind,
        format,
        ...range,
        ...(selected.length ? { cameras: selected } : {}),
        // The file's times in the zone this console shows them in.
        time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      });
      saveFile(file);
      setDone(file);
    } catch (e) {
      setError(sentenceOf(e));
    } finally {
      running.current = false;
      setBusy(null);
      setProgress(null);
    }
  };

  const cameraNames = new Map((cameras.data ?? []).map((c) => [c.camera_id, c.name]));
  // Cameras do not apply to the audit log; the engine ignores them there, so the field says so.
  const camerasApply = kind !== 'audit';

  return (
    <Box data-testid="page-reports" sx={{ p: 2 }}>
      <Typography variant="h5" component="h1" gutterBottom>
        Reports
      </Typography>
      <Paper variant="outlined" sx={{ p: 2, maxWidth: 900 }}>
        <Stack spacing={2}>
          <Stack direction="row" spacing={2}>
            <TextField
              select
              label="Report"
              value={kind}
              onChange={(e) => setKind(e.target.value as Kind)}
              sx={{ minWidth: 200 }}
              size="small"
            >
              {KINDS.map((k) => (
                <MenuItem key={k.value} value={k.value}>
                  {k.label}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              type="date"
              label="From"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              size="small"
              slotProps={{ inputLabel: { shrink: true } }}
            />
            <TextField
              type="date"
              label="To"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              size="small"
              slotProps={{ inputLabel: { shrink: true } }}
            />
          </Stack>
          {cameras.error ? (
            <ErrorState message={cameras.error} onRetry={cameras.reload} />
          ) : (
            <TextField
              select
              label="Cameras"
              size="small"
              value={selected}
              disabled={!camerasApply}
              helperText={camerasApply ? 'None selected: all cameras.' : 'The audit log covers every camera.'}
              onChange={(e) => {
                const v = e.target.value as unknown as string[] | string;
                setSelected(typeof v === 'string' ? v.split(',') : v);
              }}
              slotProps={{
                select: {
                  multiple: true,
                  renderValue: (v) =>
                    (v as string[]).length
                      ? (v as string[]).map((id) => cameraNames.get(id) ?? id).join(', ')
                      : 'All',
                  displayEmpty: true,
                },
                inputLabel: { shrink: true },
              }}
            >
              {(cameras.data ?? []).map((c) => (
                <MenuItem key={c.camera_id} value={c.camera_id}>
                  <Checkbox size="small" checked={selected.includes(c.camera_id)} />
                  <ListItemText primary={c.name} secondary={c.camera_id} />
                </MenuItem>
              ))}
            </TextField>
          )}
          <Stack direction="row" spacing={2}>
            <Button variant="contained" disabled={busy !== null} onClick={() => void exportAs('csv')}>
              Export CSV
            </Button>
            <Button variant="outlined" disabled={busy !== null} onClick={() => void exportAs('pdf')}>
              Export PDF
            </Button>
          </Stack>
          {busy && (
            <Box>
              <Typography variant="body2" color="text.secondary">
                Preparing the {busy.toUpperCase()} report…
              </Typography>
              {progress === null ? (
                <LinearProgress aria-label="Report progress" />
              ) : (
                <LinearProgress aria-label="Report progress" variant="determinate" value={progress} />
              )}
            </Box>
          )}
          {error && (
            <Alert severity="error" data-testid="error">
              {error}
            </Alert>
          )}
          {done && (
            <Alert severity="success" data-testid="report-done">
              {done.rows} {done.rows === 1 ? 'row' : 'rows'} exported to {done.filename}.
            </Alert>
          )}
        </Stack>
      </Paper>
    </Box>
  );
}
