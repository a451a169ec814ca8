import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { UserView } from '../../../main/contract/contract.js';
import { ROLES, type Role } from '../../../main/contract/roles.js';
import { LIMITS } from '../../../main/contract/wire.js';
import { call } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { formatTime } from '../components/format.js';
import { sentenceOf } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { useSession } from '../store/session.js';
import { DataTable } from '../components/DataTable.js';

// The contract's roles (roles.ts is plain values); a hint for each, held to the list by the compiler.
const ROLE_HINTS: Record<Role, string> = {
  admin: 'everything',
  security: 'members (not delete), review, cameras, alerts, reports, audit',
  operator: 'live view, identifying unknowns, alerts',
  viewer: 'read only',
  kiosk: 'self-enrollment screen only',
};
const ROLE_OPTIONS = ROLES.map((value) => ({ value, hint: ROLE_HINTS[value] }));

/** A lock that has run out is history, not a state worth showing. */
const lockedNow = (u: UserView) => u.locked_until !== null && Date.parse(u.locked_until) > Date.now();

export default function UsersPage() {
  const users = useCall('users.list', {});
  const me = useSession().user?.username;
  const [adding, setAdding] = useState(false);
  const [passwordFor, setPasswordFor] = useState<UserView | null>(null);
  const [removing, setRemoving] = useState<UserView | null>(null);

  return (
    <Box data-testid="page-users" sx={{ p: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1 }}>
        <Typography variant="h5" component="h1">
          Users
        </Typography>
        <Button variant="contained" onClick={() => setAdding(true)} data-testid="user-add">
          Add user
        </Button>
      </Stack>
      <DataTable
        label="Users"
        rows={users.data}
        error={users.error}
        onRetry={users.reload}
        empty={{ title: 'No users' }}
        maxHeight="calc(100vh - 200px)"
        rowKey={(u) => u.username}
        rowProps={(u) => ({ 'data-testid': 'user-row', 'data-id': u.username })}
        columns={[
          {
            id: 'username',
            header: 'Username',
            cell: (u) => (
              <>
                {u.username}
                {u.username === me && ' (you)'}
              </>
            ),
          },
          { id: 'role', header: 'Role', cell: (u) => u.role },
          { id: 'created', header: 'Created', cell: (u) => formatTime(u.created_at) },
          { id: 'last-login', header: 'Last sign-in', cell: (u) => formatTime(u.last_login) },
          {
            id: 'locked',
            header: 'Locked until',
            cell: (u) => (lockedNow(u) ? formatTime(u.locked_until) : '—'),
          },
          {
            id: 'actions',
            header: 'Actions',
            align: 'right',
            sx: { whiteSpace: 'nowrap' },
            cell: (u) => (
              <>
                <Button
                  size="small"
                  aria-label={`Set password for ${u.username}`}
                  onClick={() => setPasswordFor(u)}
                >
                  Set password
                </Button>
                <Button
                  size="small"
                  color="error"
                  aria-label={`Remove user ${u.username}`}
                  // Removing yourself would end this session mid-task; another admin can do it.
                  disabled={u.username === me}
                  onClick={() => setRemoving(u)}
                >
                  Remove
                </Button>
              </>
            ),
          },
        ]}
      />
      {adding && (
        <AddUserDialog
          onClose={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            users.reload();
          }}
        />
      )}
      {passwordFor && <PasswordDialog user={passwordFor} onClose={() => setPasswordFor(null)} />}
      <ConfirmDialog
        open={removing !== null}
        title="Remove user"
        body={`Remove ${removing?.username ?? ''}? Their sessions end at once; the audit log keeps their actions.`}
        confirmLabel="Remove"
        onConfirm={async () => {
          if (removing) await call('users.remove', { username: removing.username });
          users.reload();
        }}
        onClose={() => setRemoving(null)}
      />
    </Box>
  );
}

function AddUserDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    if (!username.trim()) return setError('Enter a username.');
    if (!password) return setError('Enter a password.');
    setBusy(true);
    setError(null);
    try {
      await call('users.add', { username: username.trim(), password, role });
      onDone();
    } catch (e) {
      setError(sentenceOf(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      fullWidth
      maxWidth="xs"
      aria-labelledby="add-user-title"
    >
      <DialogTitle id="add-user-title">Add user</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            size="small"
            autoComplete="off"
            slotProps={{ htmlInput: { maxLength: LIMITS.username } }}
          />
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            size="small"
            autoComplete="new-password"
            slotProps={{ htmlInput: { maxLength: LIMITS.password } }}
          />
          <TextField
            select
            label="Role"
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
            size="small"
          >
            {ROLE_OPTIONS.map((r) => (
              <MenuItem key={r.value} value={r.value}>
                {r.value} — {r.hint}
              </MenuItem>
            ))}
          </TextField>
          {error && <Alert severity="error">{error}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button variant="contained" onClick={() => void submit()} disabled={busy}>
          Add
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function PasswordDialog({ user, onClose }: { user: UserView; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const submit = async () => {
    if (!password) return setError('Enter the new password.');
    if (password !== confirm) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    try {
      await call('users.setPassword', { username: user.username, password });
      setDone(true);
    } catch (e) {
      setError(sentenceOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      fullWidth
      maxWidth="xs"
      aria-labelledby="password-title"
    >
      <DialogTitle id="password-title">Set password for {user.username}</DialogTitle>
      <DialogContent>
        {done ? (
          <Alert severity="success">The password was changed.</Alert>
        ) : (
          <Stack spacing={2} sx={{ mt: 1 }}>
            <TextField
              label="New password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              size="small"
              autoComplete="new-password"
              slotProps={{ htmlInput: { maxLength: LIMITS.password } }}
            />
            <TextField
              label="Repeat password"
              type="password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              size="small"
              autoComplete="new-password"
              slotProps={{ htmlInput: { maxLength: LIMITS.password } }}
            />
            {error && <Alert severity="error">{error}</Alert>}
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        {done ? (
          <Button onClick={onClose}>Close</Button>
        ) : (
          <>
            <Button onClick={onClose} disabled={busy}>
              Cancel
            </Button>
            <Button variant="contained" onClick={() => void submit()} disabled={busy}>
              Set password
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}
