import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import {
  Chart,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  type ChartConfiguration,
} from 'chart.js';
import { useMemo, useState } from 'react';
import type { CalibrationView } from '../../../../main/contract/contract.js';
import { call } from '../../api.js';
import { ChartCanvas } from '../../components/ChartCanvas.js';
import { ErrorState } from '../../components/states.js';
import { useCall } from '../../hooks/useCall.js';
import { attempt, OutcomeLine, type Outcome } from './parts.js';

// The DET curve is a line on log axes; the shared canvas registers only what the dashboard draws.
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale);

const FARS = [0.1, 0.01, 0.001];
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/**
 * Settings → Recognition → Site calibration: this site's genuine and impostor scores, the DET
 * curve, the threshold for the chosen false-accept rate; applying it asks for confirmation first.
 */
export function CalibrationPanel({ onSaved }: { onSaved: () => void }) {
  const [far, setFar] = useState(0.01);
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const result = useCall('recognition.calibrate', { far });
  const cameras = useCall('cameras.list', {});
  const c = result.data;

  const apply = async () => {
    setConfirming(false);
    setOutcome(
      await attempt(
        () => call('recognition.calibrate', { far, apply: { camera_id: target || null } }),
        target ? `Threshold applied to camera ${target}.` : 'Threshold applied to every camera.',
      ),
    );
    result.reload();
    onSaved();
  };

  return (
    <Stack spacing={1}>
      <TextField
        select
        size="small"
        label="False-accept rate"
        value={far}
        onChange={(e) => setFar(Number(e.target.value))}
        sx={{ width: 200 }}
      >
        {FARS.map((f) => (
          <MenuItem key={f} value={f}>
            {f * 100} %
          </MenuItem>
        ))}
      </TextField>
      {result.error && <ErrorState message={result.error} onRetry={result.reload} />}
      {c && <CalibrationFigures c={c} />}
      {c && c.threshold !== null && (
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
          <TextField
            select
            size="small"
            label="Apply to"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            sx={{ width: 220 }}
          >
            <MenuItem value="">Every camera</MenuItem>
            {(cameras.data ?? []).map((cam) => (
              <MenuItem key={cam.camera_id} value={cam.camera_id}>
                {cam.name}
              </MenuItem>
            ))}
          </TextField>
          {confirming ? (
            <>
              <Typography variant="body2">
                Set the recognition threshold to {c.threshold} (now {c.current_threshold})?
              </Typography>
              <Button variant="contained" onClick={() => void apply()}>
                Confirm
              </Button>
              <Button onClick={() => setConfirming(false)}>Cancel</Button>
            </>
          ) : (
            <Button variant="contained" onClick={() => setConfirming(true)}>
              Apply threshold
            </Button>
          )}
        </Stack>
      )}
      <OutcomeLine outcome={outcome} />
    </Stack>
  );
}

function CalibrationFigures({ c }: { c: CalibrationView }) {
  const config = useMemo<ChartConfiguration<'line'>>(
    () => ({
      type: 'line',
      data: {
        datasets: [
          {
            label: 'DET',
            // Log axes cannot show 0: the curve's ends sit at the smallest measurable rate.
            data: c.det.filter((p) => p.far > 0 && p.frr > 0).map((p) => ({ x: p.far, y: p.frr })),
            borderColor: '#1976d2',
            pointRadius: 0,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'False accepts' } },
          y: { type: 'logarithmic', title: { display: true, text: 'False rejects' } },
        },
      },
    }),
    [c.det],
  );
  if (c.needs)
    return (
      <Typography variant="body2" role="status">
        {c.needs} ({c.genuine_pairs} genuine and {c.impostor_pairs} impostor comparisons so far.)
      </Typography>
    );
  return (
    <>
      <Typography variant="body2" role="status">
        From {c.genuine_pairs} genuine and {c.impostor_pairs} impostor comparisons: threshold {c.threshold}{' '}
        for a false-accept rate of {pct(c.far)}, where {pct(c.expected_accept_rate ?? 0)} of members are
        accepted. Current threshold {c.current_threshold}.
      </Typography>
      <ChartCanvas config={config} label="Detection error trade-off of this site" />
    </>
  );
}
