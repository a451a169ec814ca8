import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import { ThemeProvider } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState } from 'react';
import { EnrollWizard } from '../components/EnrollWizard.js';
import { PinDialog } from '../components/PinDialog.js';
import { kioskTheme } from '../theme.js';

const RESET_AFTER_MS = 30_000;

interface Props {
  /** The pack checks that a real face, not a photo or screen, is in front of the camera. */
  liveness?: boolean;
  onExit?(): void;
}

/** The locked self-enrollment screen: the wizard alone, sized for fingers. */
export default function KioskPage({ liveness = false, onExit }: Props) {
  const [pin, setPin] = useState(false);
  // A new key restarts the wizard from blank for the next person.
  const [round, setRound] = useState(0);
  const done = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => clearTimeout(done.current ?? undefined), []);
  // The outcome names the new member id; it must not stay up for the next person to read.
  const enrolled = () => {
    clearTimeout(done.current ?? undefined);
    done.current = setTimeout(() => setRound((r) => r + 1), RESET_AFTER_MS);
  };

  return (
    <ThemeProvider theme={kioskTheme}>
      <Box
        data-testid="page-kiosk"
        sx={{
          position: 'fixed',
          inset: 0,
          overflow: 'auto',
          bgcolor: 'background.default',
          p: { xs: 2, md: 4 },
        }}
      >
        <Stack spacing={3} sx={{ maxWidth: 900, mx: 'auto' }}>
          <Stack direction="row" sx={{ alignItems: 'center' }}>
            <Typography variant="h3" component="h1" sx={{ flexGrow: 1 }}>
              Enroll your face
            </Typography>
            <Button variant="outlined" color="inherit" onClick={() => setPin(true)}>
              Exit kiosk
            </Button>
          </Stack>
          {liveness && (
            <Alert severity="info" data-testid="liveness-note">
              Photos taken here with the camera are checked for a live face: a print or a screen held up to it
              is refused.
            </Alert>
          )}
          <Paper sx={{ p: { xs: 2, md: 4 } }}>
            <EnrollWizard
              key={round}
              method="kiosk"
              onEnrolled={enrolled}
              onRestart={() => clearTimeout(done.current ?? undefined)}
              onClose={() => setRound((r) => r + 1)}
            />
          </Paper>
        </Stack>
        <PinDialog
          open={pin}
          onClose={() => setPin(false)}
          onUnlocked={() => {
            setPin(false);
            onExit?.();
          }}
        />
      </Box>
    </ThemeProvider>
  );
}
