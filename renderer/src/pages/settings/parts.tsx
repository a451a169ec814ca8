import Alert from '@mui/material/Alert';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { sentenceOf } from '../../components/states.js';

/** Outcome line under a form: the engine's sentence on failure, a short confirmation otherwise. */
export type Outcome = { ok: boolean; message: string } | null;

export function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  return (
    <Alert
      severity={outcome.ok ? 'success' : 'error'}
      data-testid={outcome.ok ? undefined : 'error'}
      sx={{ mt: 1 }}
    >
      {outcome.message}
    </Alert>
  );
}

export function Section({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
  return (
    <Paper variant="outlined" sx={{ p: 2 }}>
      <Typography variant="subtitle1" component="h2">
        {title}
      </Typography>
      {hint && (
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          {hint}
        </Typography>
      )}
      {children}
    </Paper>
  );
}

/** Wraps a call so a form shows its outcome (and stays usable) instead of throwing. */
/**
 * The sentence for a saved setting: settings.set answers whether the running engine applied it
 * (settings take effect without a restart), or why not (an environment variable overrides it).
 */
export function savedMessage(result: unknown, what: string): string {
  const r = result as { applied?: boolean; message?: string } | undefined;
  if (r?.applied === true) return `${what} saved and applied.`;
  if (r?.applied === false && r.message) return r.message;
  return `${what} saved.`;
}

export async function attempt(
  fn: () => Promise<unknown>,
  okMessage: string | ((result: unknown) => string),
): Promise<Outcome> {
  try {
    const result = await fn();
    return { ok: true, message: typeof okMessage === 'string' ? okMessage : okMessage(result) };
  } catch (e) {
    return { ok: false, message: sentenceOf(e) };
  }
}
