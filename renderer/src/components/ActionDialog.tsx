import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import { useState, type FormEvent, type ReactNode } from 'react';
import { sentenceOf } from './states.js';

interface Props {
  open: boolean;
  title: string;
  submitLabel: string;
  disabled?: boolean;
  danger?: boolean;
  /** Rejections keep the dialog open with the engine's sentence. */
  onSubmit(): Promise<unknown>;
  onClose(): void;
  children?: ReactNode;
}

/** A small form in a dialog that calls the engine on submit (Enter submits). */
export function ActionDialog({
  open,
  title,
  submitLabel,
  disabled,
  danger,
  onSubmit,
  onClose,
  children,
}: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setError(null);
    onClose();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (disabled || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit();
      close();
    } catch (err) {
      setError(sentenceOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onClose={busy ? undefined : close} fullWidth maxWidth="sm" aria-label={title}>
      <form onSubmit={(e) => void submit(e)}>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {children}
            {error && (
              <Alert severity="error" data-testid="error">
                {error}
              </Alert>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={busy}>
            Cancel
          </Button>
          <Button
            type="submit"
            variant="contained"
            color={danger ? 'error' : 'primary'}
            disabled={busy || disabled}
          >
            {submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
