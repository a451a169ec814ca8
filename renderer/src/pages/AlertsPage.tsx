import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import Link from '@mui/material/Link';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useMemo, useState } from 'react';
import type { AlertView } from '../../../main/contract/contract.js';
import { LIMITS } from '../../../main/contract/wire.js';
import { call } from '../api.js';
import { formatTime } from '../components/format.js';
import { PersonThumb } from '../components/PersonThumb.js';
import { hrefOf, personHref } from '../router.js';
import { sentenceOf } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';
import { useSession } from '../store/session.js';
import { DataTable } from '../components/DataTable.js';

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

/** Today's alerts by their time alone; older ones with a short date. */
function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString();
  return d.toDateString() === new Date().toDateString()
    ? time
    : `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

type Action = { kind: 'acknowledge' | 'resolve'; alerts: AlertView[] };

/** What happened, in a guard's words (the type names are the engine's). */
const TYPE_LABEL: Record<string, string> = {
  new_unknown: 'New stranger',
  recurring_unknown: 'Stranger keeps coming back',
  unauthorized_access: 'Not allowed here',
  camera_offline: 'Camera offline',
};

/** The actions column stays on screen when the table scrolls sideways (narrow windows). */
const STICKY = {
  position: 'sticky',
  right: 0,
  bgcolor: 'background.paper',
  boxShadow: '-6px 0 6px -6px rgba(0,0,0,0.6)',
} as const;

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
  useConsoleEvent('alert_status', () => reload());
  const [checked, setChecked] = useState<Set<number>>(new Set());

  // Rows the guard just handled, shown as the engine returned them until the next list arrives.
  const [handled, setHandled] = useState<Record<number, AlertView>>({});
  useEffect(() => setHandled({}), [alerts.data]);
  const rows = (alerts.data ?? []).map((a) => handled[a.alert_id] ?? a);
  const selectable = rows.filter((a) => a.status !== 'resolved');
  const chosen = selectable.filter((a) => checked.has(a.alert_id));
  const toggle = (id: number) =>
    setChecked((c) => {
      const n = new Set(c);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const [action, setAction] = useState<Action | null>(null);

  return (
    <Box data-testid="page-alerts">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap' }} useFlexGap>
        <Typography variant="h5" component="h1" sx={{ flexGrow: 1 }}>
          Alerts
        </Typography>
        {mayHandle && (
          <>
            <Typography variant="body2" color="text.secondary" data-testid="alerts-selected">
              {chosen.length} selected
            </Typography>
            <Button
              size="small"
              variant="outlined"
              disabled={!chosen.some((a) => a.status === 'open')}
              onClick={() =>
                setAction({ kind: 'acknowledge', alerts: chosen.filter((a) => a.status === 'open') })
              }
              data-testid="bulk-acknowledge"
            >
              Acknowledge selected
            </Button>
            <Button
              size="small"
              variant="outlined"
              disabled={chosen.length === 0}
              onClick={() => setAction({ kind: 'resolve', alerts: chosen })}
              data-testid="bulk-resolve"
            >
              Resolve selected
            </Button>
          </>
        )}
      </Stack>
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

      <DataTable
        label="Alerts"
        rows={alerts.data ? rows : null}
        error={alerts.error}
        onRetry={reload}
        empty={{ title: 'No alerts', hint: 'Nothing matches these filters.' }}
        maxHeight="calc(100vh - 220px)"
        rowKey={(a) => a.alert_id}
        rowProps={(a) => ({ 'data-testid': 'alert-row', 'data-id': a.alert_id, hover: true })}
        columns={[
          mayHandle && {
            id: 'select',
            padding: 'checkbox',
            header: (
              <Checkbox
                size="small"
                checked={selectable.length > 0 && chosen.length === selectable.length}
                indeterminate={chosen.length > 0 && chosen.length < selectable.length}
                onChange={(e) =>
                  setChecked(new Set(e.target.checked ? selectable.map((a) => a.alert_id) : []))
                }
                slotProps={{ input: { 'aria-label': 'Select all unresolved alerts' } }}
                data-testid="alerts-select-all"
              />
            ),
            cell: (a) =>
              a.status !== 'resolved' && (
                <Checkbox
                  size="small"
                  checked={checked.has(a.alert_id)}
                  onChange={() => toggle(a.alert_id)}
                  slotProps={{ input: { 'aria-label': `Select alert #${a.alert_id}` } }}
                />
              ),
          },
          {
            id: 'who',
            header: 'Who',
            sx: { minWidth: 170 },
            cell: (a) =>
              a.person_id ? (
                <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                  <PersonThumb
                    kind={a.person_kind}
                    id={a.person_id}
                    name={a.person_name ?? a.person_id}
                    hasCrop={a.has_crop === true}
                    size={36}
                  />
                  <Link
                    href={personHref(a.person_kind, a.person_id)}
                    data-testid="alert-person"
                    sx={{ fontWeight: 600, overflowWrap: 'anywhere' }}
                  >
                    {a.person_name ?? a.person_id}
                  </Link>
                </Stack>
              ) : (
                '—'
              ),
          },
          {
            id: 'what',
            header: 'What',
            sx: { minWidth: 150 },
            cell: (a) => (
              <>
                <Chip size="small" label={a.priority} color={PRIORITY_COLOR[a.priority]} sx={{ mr: 0.5 }} />
                <span title={a.message}>{TYPE_LABEL[a.type] ?? a.type.replace(/_/g, ' ')}</span>
                {a.notes && (
                  <Typography variant="body2" color="text.secondary" sx={{ overflowWrap: 'anywhere' }}>
                    Notes: {a.notes}
                  </Typography>
                )}
              </>
            ),
          },
          {
            id: 'camera',
            header: 'Camera',
            cell: (a) =>
              a.camera_id ? (
                <Link href={hrefOf('live', a.camera_id)} data-testid="alert-camera">
                  {a.camera_name ?? a.camera_id}
                </Link>
              ) : (
                '—'
              ),
          },
          {
            id: 'time',
            header: 'Time',
            sx: { whiteSpace: 'nowrap' },
            cellProps: (a) => ({ title: formatTime(a.created_at) }),
            cell: (a) => shortTime(a.created_at),
          },
          {
            id: 'status',
            header: 'Status',
            cellProps: () => ({ 'data-testid': 'alert-status' }),
            cell: (a) => (
              <>
                <Chip size="small" variant="outlined" label={a.status} color={STATUS_COLOR[a.status]} />
                {a.acknowledged_by && (
                  <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                    by {a.acknowledged_by}
                  </Typography>
                )}
              </>
            ),
          },
          mayHandle && {
            id: 'actions',
            header: 'Actions',
            align: 'right',
            headerSx: { ...STICKY, zIndex: 3 },
            sx: { whiteSpace: 'nowrap', ...STICKY },
            cell: (a) => (
              <>
                {a.status === 'open' && (
                  <Button size="small" onClick={() => setAction({ kind: 'acknowledge', alerts: [a] })}>
                    Acknowledge
                  </Button>
                )}
                {a.status !== 'resolved' && (
                  <Button size="small" onClick={() => setAction({ kind: 'resolve', alerts: [a] })}>
                    Resolve
                  </Button>
                )}
              </>
            ),
          },
        ]}
      />

      {action && (
        <NotesDialog
          action={action}
          onClose={() => setAction(null)}
          onDone={(updated) => {
            setHandled((h) => ({ ...h, ...Object.fromEntries(updated.map((u) => [u.alert_id, u])) }));
            setChecked(new Set());
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
  onDone: (a: AlertView[]) => void;
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
      const note = trimmed ? trimmed : null;
      const one = action.alerts.length === 1 ? action.alerts[0] : undefined;
      if (one) {
        const params = { id: one.alert_id, notes: note };
        onDone([
          action.kind === 'acknowledge'
            ? await call('alerts.acknowledge', params)
            : await call('alerts.resolve', params),
        ]);
      } else {
        await call('alerts.bulk', {
          ids: action.alerts.map((a) => a.alert_id),
          action: action.kind,
          notes: note,
        });
        onDone([]);
      }
    } catch (e) {
      setError(sentenceOf(e));
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" aria-labelledby="notes-title">
      <DialogTitle id="notes-title">
        {action.alerts.length === 1
          ? `${verb} alert #${action.alerts[0]?.alert_id ?? ''}`
          : `${verb} ${action.alerts.length} alerts`}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {action.alerts.length === 1
            ? action.alerts[0]?.message
            : 'The same note is kept with each of them.'}
        </Typography>
        <TextField
          label="Notes"
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
          multiline
          minRows={3}
          fullWidth
          autoFocus
          slotProps={{ htmlInput: { maxLength: LIMITS.notes } }}
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
