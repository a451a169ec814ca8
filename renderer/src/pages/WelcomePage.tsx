import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Step from '@mui/material/Step';
import StepContent from '@mui/material/StepContent';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { DiscoveredCameraView } from '../../../main/contract/contract.js';
import { call } from '../api.js';
import { EnrollDialog } from '../components/EnrollDialog.js';
import { sentenceOf } from '../components/states.js';
import { useCall } from '../hooks/useCall.js';
import { navigate } from '../router.js';

const STEPS = ['camera', 'member', 'done'] as const;
type StepId = (typeof STEPS)[number];
/** Skipped steps survive a reload, so the guide resumes where it was left. */
const SKIPPED_KEY = 'vigil.welcome.skipped';

function loadSkipped(): StepId[] {
  try {
    const v = JSON.parse(localStorage.getItem(SKIPPED_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v.filter((s) => (STEPS as readonly unknown[]).includes(s)) as StepId[]) : [];
  } catch {
    return [];
  }
}

/**
 * The first-run guide, opened after the first administrator is created: a camera, then a first
 * member, each skippable. A step is done when the engine holds what it asks for (not when a button
 * was pressed), so the guide resumes correctly after a reload or work done elsewhere.
 */
export default function WelcomePage() {
  const cameras = useCall('cameras.list', {});
  const members = useCall('members.list', { limit: 1 });
  const [skipped, setSkipped] = useState<StepId[]>(loadSkipped);
  const [enrolling, setEnrolling] = useState(false);
  const [found, setFound] = useState<DiscoveredCameraView[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const done: Record<StepId, boolean> = {
    camera: (cameras.data?.length ?? 0) > 0,
    member: (members.data?.total ?? 0) > 0,
    done: false,
  };
  const active = STEPS.findIndex((s) => !done[s] && !skipped.includes(s));
  const skip = (s: StepId) => {
    const next = [...new Set([...skipped, s])];
    setSkipped(next);
    localStorage.setItem(SKIPPED_KEY, JSON.stringify(next));
  };
  const discover = async () => {
    setSearching(true);
    setError(null);
    try {
      setFound(await call('cameras.discover', { timeout_ms: 3000 }));
    } catch (e) {
      setError(sentenceOf(e));
    } finally {
      setSearching(false);
    }
  };
  const status = (s: StepId) => (done[s] ? 'done' : skipped.includes(s) ? 'skipped' : 'to do');

  return (
    <Box data-testid="page-welcome" sx={{ maxWidth: 760 }}>
      <Typography variant="h5" gutterBottom>
        Getting started
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        Three steps to a watched door. Each can be skipped and done later from Settings and Members.
      </Typography>
      <Paper sx={{ p: 2 }}>
        <Stepper activeStep={active < 0 ? STEPS.length - 1 : active} orientation="vertical">
          <Step completed={done.camera} data-testid="welcome-step-camera" data-status={status('camera')}>
            <StepLabel optional={<Typography variant="caption">{status('camera')}</Typography>}>
              Add a camera
            </StepLabel>
            <StepContent>
              <Stack spacing={1.5}>
                <Typography variant="body2">
                  Add a camera by its RTSP or HTTP address, a video file or a webcam: Settings → Cameras tests
                  the connection before saving. Cameras on this network that announce themselves (ONVIF) can
                  be listed here.
                </Typography>
                <Stack direction="row" spacing={1}>
                  <Button variant="contained" onClick={() => navigate('settings')}>
                    Add a camera
                  </Button>
                  <Button onClick={() => void discover()} disabled={searching}>
                    {searching ? 'Searching…' : 'Find cameras on the network'}
                  </Button>
                  <Button onClick={() => skip('camera')}>Skip for now</Button>
                </Stack>
                {error && <Alert severity="error">{error}</Alert>}
                {found &&
                  (found.length === 0 ? (
                    <Alert severity="info" data-testid="welcome-discovered">
                      No camera answered on this network; add one by its address.
                    </Alert>
                  ) : (
                    <List dense data-testid="welcome-discovered">
                      {found.map((c) => (
                        <ListItem key={c.urn}>
                          <ListItemText
                            primary={c.name ?? c.hardware ?? c.urn}
                            secondary={c.xaddrs.join(', ')}
                          />
                        </ListItem>
                      ))}
                    </List>
                  ))}
              </Stack>
            </StepContent>
          </Step>
          <Step completed={done.member} data-testid="welcome-step-member" data-status={status('member')}>
            <StepLabel optional={<Typography variant="caption">{status('member')}</Typography>}>
              Enroll the first member
            </StepLabel>
            <StepContent>
              <Stack spacing={1.5}>
                <Typography variant="body2">
                  A member is kept as face embeddings only, never as a photo; 3–5 photos recognise best.
                </Typography>
                <Stack direction="row" spacing={1}>
                  <Button variant="contained" onClick={() => setEnrolling(true)}>
                    Enroll a member
                  </Button>
                  <Button onClick={() => skip('member')}>Skip for now</Button>
                </Stack>
              </Stack>
            </StepContent>
          </Step>
          <Step completed={false} data-testid="welcome-step-done">
            <StepLabel>Watch</StepLabel>
            <StepContent>
              <Stack spacing={1.5}>
                <Typography variant="body2">
                  {done.camera
                    ? 'Vigil is watching. Strangers appear in Review and raise alerts; members are logged.'
                    : 'No camera yet: add one under Settings → Cameras when you are ready.'}
                </Typography>
                <Box>
                  <Button variant="contained" onClick={() => navigate('live')}>
                    Go to Live
                  </Button>
                </Box>
              </Stack>
            </StepContent>
          </Step>
        </Stepper>
      </Paper>
      <EnrollDialog open={enrolling} onEnrolled={members.reload} onClose={() => setEnrolling(false)} />
    </Box>
  );
}
