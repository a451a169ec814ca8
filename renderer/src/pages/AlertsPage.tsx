import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useMemo, useState } from 'react';
import type { AlertView } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { formatTime } from '../components/format.js';
import { EmptyState, ErrorState, Loading, sentenceOf } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';
import { useSession } from '../store/session.js';

const TYPES = ['new_unknown', 'recurring_unknown', 'unauthorized_access', 'camera_offline'] as const;
const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
type Priority = AlertView['priority'];
type Status = AlertView['status'];

const PRIORITY_COLOR: Record<Priority, 'error' | 'warning' | 'info' | 'default'> = {
  critical: 'error',
  high: 'warning',
  medium: 'info',
  low: 'default',
};
const STATUS_COLOR: Record<Status, 'error' | 'warning' | 'success'> = {
  open: 'error',
  acknowledged: 'warning',
  resolved: 'success',
};

type Action = { kind: 'acknowledge' | 'resolve'; alert: AlertView };

export default function AlertsPage() {
  const { can } = useSession();
  const mayHandle = can('alerts.handle');
  const [type, setType] = useState('');
  const [priority, setPriority] = useState<Priority | ''>('');
  const [status, setStatus] = useState<Status | ''>('');
  const [camera, setCamera] = useState('');

  const params = useMemo(
    () => ({
      ...(type ? { type } : {}),
      ...(priority ? { priority } : {}),
      ...(status ? { status } : {}),
      ...(camera ? { camera_id: camera } : {}),
      limit: 200,
    }),
    [type, priority, status, camera],
  );
  const alerts = useCall('alerts.list', params, [type, priority, status, camera]);
  const cameras = useCall('cameras.list', {});
  const { reload } = alerts;
  // A new alert may belong in the current view; the list is small enough to fetch again.
  useConsoleEvent('alert', () => reload());

  // Rows the guard just handled, shown as the engine returned them until the next list arrives.
  const [handled, setHandled] = useState<Record<number, AlertView>>({});
  useEffect(() => setHandled({}), [alerts.data]);
  const rows = (alerts.data ?? []).map((a) => handled[a.alert_id] ?? a);

  const [action, setAction] = useState<Action | null>(null);

  return (
    <Box data-testid="page-alerts" sx={{ p: 2 }}>
      <Typography variant="h5" component="h1" gutterBottom>
        Alerts
      </Typography>
      <Stack direction="row" spacing={2} sx={{ mb: 2, flexWrap: 'wrap' }} useFlexGap>
        <Filter label="Type" value={type} onChange={setType} options={TYPES} />
        <Filter
          label="Priority"
          value={priority}
          onChange={(v) => setPriority(v as Priority | '')}
          options={PRIORITIES}
        />
        <Filter
          label="Status"
          value={status}
          onChange={(v) => setStatus(v as Status | '')}
          options={STATUSES}
        />
        <Filter
          label="Camera"
          value={camera}
          onChange={setCamera}
          options={(cameras.data ?? []).map((c) => c.camera_id)}
          names={Object.fromEntries((cameras.data ?? []).map((c) => [c.camera_id, c.name]))}
        />
      </Stack>

      {alerts.error ? (
        <ErrorState message={alerts.error} onRetry={reload} />
      ) : alerts.loading && !alerts.data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <EmptyState title="No alerts" hint="Nothing matches these filters." />
      ) : (
        <TableContainer sx={{ maxHeight: 'calc(100vh - 220px)' }}>
          <Table size="small" stickyHeader aria-label="Alerts">
            <TableHead>
              <TableRow>
                <TableCell>Time</TableCell>
                <TableCell>Priority</TableCell>
                <TableCell>Type</TableCell>
                <TableCell>Camera</TableCell>
                <TableCell>Message</TableCell>
                <TableCell>Status</TableCell>
                {mayHandle && <TableCell align="right">Actions</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((a) => (
                <TableRow key={a.alert_id} data-testid="alert-row" data-id={a.alert_id} hover>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatTime(a.created_at)}</TableCell>
                  <TableCell>
                    <Chip size="small" label={a.priority} color={PRIORITY_COLOR[a.priority]} />
                  </TableCell>
                  <TableCell>{a.type.replace(/_/g, ' ')}</TableCell>
                  <TableCell>{a.camera_id ?? '—'}</TableCell>
                  <TableCell>
                    {a.message}
                    {a.notes && (
                      <Typography variant="body2" color="text.secondary">
                        Notes: {a.notes}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell data-testid="alert-status">
                    <Chip size="small" variant="outlined" label={a.status} color={STATUS_COLOR[a.status]} />
                    {a.acknowledged_by && (
                      <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                        by {a.acknowledged_by}
                      </Typography>
                    )}
                  </TableCell>
                  {mayHandle && (
                    <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                      {a.status === 'open' && (
                        <Button size="small" onClick={() => setAction({ kind: 'acknowledge', alert: a })}>
                          Acknowledge
                        </Button>
                      )}
                      {a.status !== 'resolved' && (
                        <Button size="small" onClick={() => setAction({ kind: 'resolve', alert: a })}>
                          Resolve
                        </Button>
                      )}
                    </TableCell>
                  )}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}

      {action && (
        <NotesDialog
          action={action}
          onClose={() => setAction(null)}
          onDone={(updated) => {
            setHandled((h) => ({ ...h, [updated.alert_id]: updated }));
            setAction(null);
            reload();
          }}
        />
      )}
    </Box>
  );
}

function Filter(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: readonly string[];
  names?: Record<string, string>;
}) {
  return (
    <TextField
      select
      size="small"
      label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      sx={{ minWidth: 170 }}
      // "All" is a real choice (no filter), so it is shown rather than an empty box.
      slotProps={{ inputLabel: { shrink: true }, select: { displayEmpty: true } }}
    >
      <MenuItem value="">All</MenuItem>
      {props.options.map((o) => (
        <MenuItem key={o} value={o}>
          {props.names?.[o] ?? o.replace(/_/g, ' ')}
        </MenuItem>
      ))}
    </TextField>
  );
}

function NotesDialog({
  action,
  onClose,
  onDone,
}: {
  action: Action;
  onClose: () => void;
  onDone: (a: AlertView) => void;
}) {
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const verb = action.kind === 'acknowledge' ? 'Acknowledge' : 'Resolve';

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const trimmed = notes.trim();
      const params = { id: action.alert.alert_id, notes: trimmed ? trimmed : null };
      const updated =
        action.kind === 'acknowledge'
          ? await call('alerts.acknowledge', params)
          : await call('alerts.resolve', params);
      onDone(updated);
    } catch (e) {
      setError(sentenceOf(e));
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" aria-labelledby="notes-title">
      <DialogTitle id="notes-title">
        {verb} alert #{action.alert.alert_id}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {action.alert.message}
        </Typography>
        <TextField
          label="Notes"
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
          multiline
          minRows={3}
          fullWidth
          autoFocus
          slotProps={{ htmlInput: { maxLength: 2000 } }}
        />
        {error && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button variant="contained" onClick={() => void submit()} disabled={busy}>
          Confirm
        </Button>
      </DialogActions>
    </Dialog>
  );
}
