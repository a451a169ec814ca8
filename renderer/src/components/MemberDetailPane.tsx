import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { MemberView } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { useCall } from '../hooks/useCall.js';
import { useSession } from '../store/session.js';
import { ActionDialog } from './ActionDialog.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { formatTime } from './format.js';
import {
  MEMBER_TYPES,
  MemberFields,
  memberParams,
  type MemberForm,
  type MemberType,
} from './MemberFields.js';
import { ErrorState, Loading, sentenceOf } from './states.js';

function formOf(m: MemberView): MemberForm {
  const type = (MEMBER_TYPES as readonly string[]).includes(m.member_type)
    ? (m.member_type as MemberType)
    : 'member';
  return {
    name: m.name,
    apartment: m.apartment ?? '',
    email: m.email ?? '',
    phone: m.phone ?? '',
    member_type: type,
    notes: m.notes ?? '',
  };
}

/** One member: details, status and watchlist controls, edit, delete, and where they were seen. */
export function MemberDetailPane({
  id,
  onChanged,
  onDeleted,
}: {
  id: string;
  onChanged(): void;
  onDeleted(): void;
}) {
  const detail = useCall('members.get', { id });
  const can = useSession((s) => s.can);
  const [editing, setEditing] = useState<MemberForm | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (detail.loading && !detail.data) return <Loading label="Loading member" />;
  if (detail.error) return <ErrorState message={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return null;
  const { member: m, appearances } = detail.data;

  const setStatus = async (change: { status?: 'active' | 'suspended'; watchlist?: boolean }) => {
    setError(null);
    try {
      await call('members.setStatus', { id, ...change });
      detail.reload();
      onChanged();
    } catch (e) {
      setError(sentenceOf(e));
    }
  };

  return (
    <Stack spacing={2} data-testid="member-detail">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
        <Typography variant="h6" sx={{ mr: 1 }}>
          {m.name}
        </Typography>
        <Chip size="small" label={m.status} color={m.status === 'active' ? 'success' : 'warning'} />
        <Chip size="small" label={m.member_type} variant="outlined" />
        {m.watchlist && <Chip size="small" label="watchlist" color="error" />}
      </Stack>
      <Typography variant="body2" color="text.secondary">
        {m.member_id} · apartment {m.apartment ?? '—'} · {m.email ?? 'no email'} · {m.phone ?? 'no phone'}
      </Typography>
      <Typography variant="body2">
        {m.embeddings_count} templates · quality {m.quality_score?.toFixed(2) ?? '—'} · last seen{' '}
        {formatTime(m.last_seen)} · {m.total_appearances} appearances
      </Typography>
      {m.notes && <Typography variant="body2">{m.notes}</Typography>}
      {error && (
        <Alert severity="error" data-testid="error">
          {error}
        </Alert>
      )}
      <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap' }}>
        {can('members.edit') && (
          <>
            <Button variant="outlined" onClick={() => setEditing(formOf(m))}>
              Edit
            </Button>
            <Button
              variant="outlined"
              onClick={() => void setStatus({ status: m.status === 'suspended' ? 'active' : 'suspended' })}
            >
              {m.status === 'suspended' ? 'Activate' : 'Suspend'}
            </Button>
            <Button variant="outlined" onClick={() => void setStatus({ watchlist: !m.watchlist })}>
              {m.watchlist ? 'Remove from watchlist' : 'Add to watchlist'}
            </Button>
          </>
        )}
        {can('members.delete') && (
          <Button variant="outlined" color="error" onClick={() => setDeleting(true)}>
            Delete
          </Button>
        )}
      </Stack>
      <Typography variant="subtitle2">Appearances</Typography>
      {appearances.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          Not seen by any camera yet.
        </Typography>
      ) : (
        <Table size="small" aria-label="Appearances">
          <TableHead>
            <TableRow>
              <TableCell>Seen</TableCell>
              <TableCell>Camera</TableCell>
              <TableCell align="right">Confidence</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {appearances.map((a) => (
              <TableRow key={a.appearance_id} data-testid="member-appearance">
                <TableCell>{formatTime(a.first_seen)}</TableCell>
                <TableCell>{a.camera_id ?? '—'}</TableCell>
                <TableCell align="right">{(a.confidence * 100).toFixed(0)}%</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {editing && (
        <ActionDialog
          open
          title={`Edit ${m.name}`}
          submitLabel="Save"
          disabled={!editing.name.trim()}
          onClose={() => setEditing(null)}
          onSubmit={async () => {
            await call('members.update', { id, fields: memberParams(editing) });
            detail.reload();
            onChanged();
          }}
        >
          <MemberFields value={editing} onChange={setEditing} />
        </ActionDialog>
      )}
      <ConfirmDialog
        open={deleting}
        title={`Delete ${m.name}?`}
        body="Everything Vigil holds about them is erased, as for a data-subject erasure: face templates, appearances, alerts, consent records and the unknown-person cases converted into them. The audit log keeps only that an erasure happened, never their name. This cannot be undone."
        confirmLabel="Delete"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await call('members.delete', { id });
          onDeleted();
        }}
      />
    </Stack>
  );
}
