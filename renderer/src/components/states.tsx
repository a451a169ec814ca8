import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Typography from '@mui/material/Typography';

/** The three states every call can be in besides "has data"; the end-to-end tests find them by test id. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Box data-testid="loading" role="status" sx={{ display: 'flex', justifyContent: 'center', py: 4 }}>
      <CircularProgress aria-label={label} />
    </Box>
  );
}

export function EmptyState({ title, hint }: { title: string; hint?: string }) {
  return (
    <Box data-testid="empty" sx={{ textAlign: 'center', py: 4, color: 'text.secondary' }}>
      <Typography variant="subtitle1">{title}</Typography>
      {hint && <Typography variant="body2">{hint}</Typography>}
    </Box>
  );
}

export function ErrorState({
  message,
  onRetry,
  retryLabel = 'Retry',
}: {
  message: string;
  onRetry?: () => void;
  retryLabel?: string;
}) {
  return (
    <Alert
      data-testid="error"
      severity="error"
      sx={{ my: 1 }}
      action={
        onRetry && (
          <Button color="inherit" size="small" onClick={onRetry}>
            {retryLabel}
          </Button>
        )
      }
    >
      {message}
    </Alert>
  );
}

/**
 * The sentence to show for a failed call: the engine's own (ApiError.message) when there is one.
 * Anything else is a bug or a dropped connection, so a generic sentence beats a stack trace.
 */
export function sentenceOf(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  if (typeof err === 'string' && err) return err;
  return 'Something went wrong; please try again.';
}
