import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import { useState, type FormEvent } from 'react';
import { call } from '../api.js';
import { sentenceOf } from './states.js';

/** Leaving the kiosk takes an administrator's password, checked by the engine (kiosk.unlock). */
export function PinDialog({
  open,
  onClose,
  onUnlocked,
}: {
  open: boolean;
  onClose(): void;
  onUnlocked(): void;
}) {
  const [admin, setAdmin] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setAdmin('');
    setPin('');
    setError(null);
    onClose();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call('kiosk.unlock', { username: admin, pin });
      setPin('');
      onUnlocked();
    } catch (err) {
      setError(sentenceOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={close} aria-labelledby="pin-title">
      <form onSubmit={(e) => void submit(e)}>
        <DialogTitle id="pin-title">Exit kiosk</DialogTitle>
        <DialogContent>
          <TextField
            label="Administrator"
            value={admin}
            onChange={(e) => setAdmin(e.target.value)}
            autoFocus
            fullWidth
            sx={{ mt: 1 }}
            autoComplete="off"
          />
          <TextField
            label="Administrator password"
            helperText="The password of this administrator account."
            type="password"
            value={pin}
            onChange={(e) => setPin(e.target.value)}
            fullWidth
            sx={{ mt: 1 }}
            autoComplete="off"
          />
          {error && (
            <Alert severity="error" sx={{ mt: 2 }} data-testid="error">
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={busy || !pin || !admin}>
            Unlock
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
