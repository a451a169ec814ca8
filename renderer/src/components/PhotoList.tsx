import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import type { PhotoCheck } from '../../../main/contract/contract.js';

export interface PhotoEntry {
  key: number;
  name: string;
  /** base64 of the file's bytes */
  data: string;
  mime: string;
  /** Taken just now with the console's camera (the engine judges its liveness). */
  live?: boolean;
  /** null while the engine checks it */
  check: PhotoCheck | null;
  /** The check call itself failed (not a rejection). */
  error: string | null;
}

/** Each photo with the engine's verdict: usable (face size, quality) or the reason it is not. */
export function PhotoList({ photos, onRemove }: { photos: PhotoEntry[]; onRemove(key: number): void }) {
  return (
    <Stack spacing={1}>
      {photos.map((p) => (
        <Paper
          key={p.key}
          variant="outlined"
          data-testid="enroll-photo"
          data-ok={p.check ? String(p.check.ok) : 'pending'}
          sx={{ p: 1, display: 'flex', gap: 1.5, alignItems: 'center' }}
        >
          <Box
            component="img"
            src={`data:${p.mime};base64,${p.data}`}
            alt={p.name}
            sx={{ width: 72, height: 72, objectFit: 'cover', borderRadius: 1, flexShrink: 0 }}
          />
          <Box sx={{ flexGrow: 1, minWidth: 0 }}>
            <Typography variant="body2" noWrap>
              {p.name}
            </Typography>
            {p.error ? (
              <Alert severity="error" sx={{ py: 0 }}>
                {p.error}
              </Alert>
            ) : !p.check ? (
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                <CircularProgress size={16} aria-label="Checking photo" />
                <Typography variant="body2">Checking…</Typography>
              </Stack>
            ) : p.check.ok ? (
              <Typography variant="body2" color="success.main">
                Usable
                {p.check.face_px !== null && ` · face ${Math.round(p.check.face_px)} px`}
                {p.check.quality !== null && ` · quality ${p.check.quality.toFixed(2)}`}
              </Typography>
            ) : (
              <Typography variant="body2" color="error.main" data-testid="photo-reason">
                {p.check.reason ?? 'This photo cannot be used.'}
                {p.check.face_px !== null && ` (face ${Math.round(p.check.face_px)} px)`}
              </Typography>
            )}
          </Box>
          <Button size="small" onClick={() => onRemove(p.key)} aria-label={`Remove ${p.name}`}>
            Remove
          </Button>
        </Paper>
      ))}
    </Stack>
  );
}
