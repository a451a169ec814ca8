import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type FormEvent } from 'react';
import type { SessionUser } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { sentenceOf } from './states.js';

interface Props {
  /** First run: no account exists yet, so this creates the first administrator. */
  setup: boolean;
  kiosk?: boolean;
  onSignedIn(user: SessionUser): void;
}

/** Sign-in, or on first run the creation of the first administrator account. */
export function LoginScreen({ setup, kiosk = false, onSignedIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (setup && password !== confirm) return setError('The two passwords differ.');
    setBusy(true);
    setError(null);
    try {
      const r = setup
        ? await call('auth.setup', { username, password, ...(code.trim() ? { code: code.trim() } : {}) })
        : await call('auth.login', { username, password });
      onSignedIn(r.user);
    } catch (err) {
      setError(sentenceOf(err));
      setBusy(false);
    }
  };

  const title = setup
    ? 'Create the first administrator'
    : kiosk
      ? 'Sign in to the kiosk'
      : 'Sign in to Vigil';
  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2 }}>
      <Paper
        component="form"
        onSubmit={submit}
        sx={{ p: 4, width: 380 }}
        data-testid={setup ? 'page-setup' : 'page-login'}
      >
        <Stack spacing={2}>
          <Typography variant="h5">{title}</Typography>
          {setup && (
            <Typography variant="body2" color="text.secondary">
              No account exists yet. This one will administer cameras, users and settings.
            </Typography>
          )}
          {setup && !window.vigil && (
            // Only vigil serve asks for it: the desktop app's own window is at the machine already.
            <TextField
              label="First-run code"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              helperText="Printed by vigil serve when it started (first-run code: XXXX-XXXX)."
              autoComplete="one-time-code"
              required
            />
          )}
          <TextField
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            autoFocus
            required
          />
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={setup ? 'new-password' : 'current-password'}
            required
          />
          {setup && (
            <TextField
              label="Repeat password"
              type="password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              autoComplete="new-password"
              required
            />
          )}
          {error && (
            <Alert severity="error" data-testid="error">
              {error}
            </Alert>
          )}
          <Button type="submit" variant="contained" size="large" disabled={busy || !username || !password}>
            {setup ? 'Create administrator' : 'Sign in'}
          </Button>
        </Stack>
      </Paper>
    </Box>
  );
}
