import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { CameraView, SettingsView } from '../../../../main/contract/contract.js';
import { call } from '../../api.js';
import { EmptyState, ErrorState, Loading } from '../../components/states.js';
import { useCall } from '../../hooks/useCall.js';
import { CalibrationPanel } from './CalibrationPanel.js';
import { attempt, OutcomeLine, savedMessage, Section, type Outcome } from './parts.js';
import { fmt, parseInteger, parseThreshold } from './validate.js';

type Thresholds = Record<string, { recognition?: number; unknown?: number }>;

export function RecognitionTab({ settings, onSaved }: { settings: SettingsView; onSaved: () => void }) {
  const info = useCall('system.info', {});
  const stored = (settings.values.thresholds ?? {}) as Thresholds;
  // The active recognizer always gets a row even before anyone overrode its thresholds.
  const models = [...new Set([...(info.data ? [info.data.recognizer] : []), ...Object.keys(stored)])];

  return (
    <Stack spacing={2}>
      <Section
        title="Model thresholds"
        hint="Similarity needed to name a member (recognition) and to link a face to a known unknown. Empty: the model's calibrated value."
      >
        {models.length === 0 ? (
          info.error ? (
            <ErrorState message={info.error} onRetry={info.reload} />
          ) : (
            <Loading />
          )
        ) : (
          <ModelThresholds models={models} active={info.data?.recognizer} stored={stored} onSaved={onSaved} />
        )}
      </Section>
      <Section
        title="Site calibration"
        hint="This site's own threshold: members' photos against each other and against unknown persons."
      >
        <CalibrationPanel onSaved={onSaved} />
      </Section>
      <Section
        title="Per-camera thresholds"
        hint="Override the model's thresholds on one camera (empty: no override)."
      >
        <CameraThresholds />
      </Section>
      <Section title="Retention" hint="Unknown-person crops and sightings older than this are deleted.">
        <Retention initial={settings.values.retention_days} onSaved={onSaved} />
      </Section>
    </Stack>
  );
}

function ModelThresholds(props: {
  models: string[];
  active?: string;
  stored: Thresholds;
  onSaved: () => void;
}) {
  const [form, setForm] = useState<Record<string, { recognition: string; unknown: string }>>(() =>
    Object.fromEntries(
      props.models.map((m) => [
        m,
        { recognition: fmt(props.stored[m]?.recognition), unknown: fmt(props.stored[m]?.unknown) },
      ]),
    ),
  );
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const value: Thresholds = { ...props.stored };
    for (const m of props.models) {
      const row = form[m] ?? { recognition: '', unknown: '' };
      const r = parseThreshold(row.recognition, `Recognition threshold for ${m}`);
      const u = parseThreshold(row.unknown, `Unknown threshold for ${m}`);
      if ('error' in r) return setOutcome({ ok: false, message: r.error });
      if ('error' in u) return setOutcome({ ok: false, message: u.error });
      const entry: { recognition?: number; unknown?: number } = {};
      if (r.value !== null) entry.recognition = r.value;
      if (u.value !== null) entry.unknown = u.value;
      if (Object.keys(entry).length) value[m] = entry;
      else delete value[m];
    }
    setBusy(true);
    setOutcome(
      await attempt(
        () => call('settings.set', { key: 'thresholds', value }),
        (r) => savedMessage(r, 'Thresholds'),
      ),
    );
    setBusy(false);
    props.onSaved();
  };

  const set = (m: string, field: 'recognition' | 'unknown', v: string) =>
    setForm((f) => ({ ...f, [m]: { ...(f[m] ?? { recognition: '', unknown: '' }), [field]: v } }));

  return (
    <>
      <Table size="small" aria-label="Model thresholds">
        <TableHead>
          <TableRow>
            <TableCell>Model</TableCell>
            <TableCell>Recognition</TableCell>
            <TableCell>Unknown</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.models.map((m) => (
            <TableRow key={m}>
              <TableCell>
                {m}
                {m === props.active && ' (active)'}
              </TableCell>
              <TableCell>
                <TextField
                  size="small"
                  value={form[m]?.recognition ?? ''}
                  onChange={(e) => set(m, 'recognition', e.target.value)}
                  placeholder="calibrated"
                  slotProps={{
                    htmlInput: { 'aria-label': `Recognition threshold ${m}`, inputMode: 'decimal' },
                  }}
                />
              </TableCell>
              <TableCell>
                <TextField
                  size="small"
                  value={form[m]?.unknown ?? ''}
                  onChange={(e) => set(m, 'unknown', e.target.value)}
                  placeholder="calibrated"
                  slotProps={{ htmlInput: { 'aria-label': `Unknown threshold ${m}`, inputMode: 'decimal' } }}
                />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Button sx={{ mt: 1 }} variant="contained" disabled={busy} onClick={() => void save()}>
        Save thresholds
      </Button>
      <OutcomeLine outcome={outcome} />
    </>
  );
}

function CameraThresholds() {
  const cameras = useCall('cameras.list', {});
  if (cameras.error) return <ErrorState message={cameras.error} onRetry={cameras.reload} />;
  if (!cameras.data) return <Loading />;
  if (cameras.data.length === 0) return <EmptyState title="No cameras" />;
  return (
    <Table size="small" aria-label="Per-camera thresholds">
      <TableHead>
        <TableRow>
          <TableCell>Camera</TableCell>
          <TableCell>Recognition</TableCell>
          <TableCell>Unknown</TableCell>
          <TableCell />
        </TableRow>
      </TableHead>
      <TableBody>
        {cameras.data.map((c) => (
          <CameraThresholdRow key={c.camera_id} camera={c} />
        ))}
      </TableBody>
    </Table>
  );
}

function CameraThresholdRow({ camera }: { camera: CameraView }) {
  const [rec, setRec] = useState(fmt(camera.recognition_threshold));
  const [unk, setUnk] = useState(fmt(camera.unknown_threshold));
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const r = parseThreshold(rec, 'The recognition threshold');
    const u = parseThreshold(unk, 'The unknown threshold');
    if ('error' in r) return setOutcome({ ok: false, message: r.error });
    if ('error' in u) return setOutcome({ ok: false, message: u.error });
    setBusy(true);
    setOutcome(
      await attempt(
        () =>
          call('cameras.update', {
            id: camera.camera_id,
            recognition_threshold: r.value,
            unknown_threshold: u.value,
          }),
        'Saved.',
      ),
    );
    setBusy(false);
  };

  return (
    <TableRow>
      <TableCell>{camera.name}</TableCell>
      <TableCell>
        <TextField
          size="small"
          value={rec}
          onChange={(e) => setRec(e.target.value)}
          placeholder="model"
          slotProps={{
            htmlInput: { 'aria-label': `Recognition threshold ${camera.name}`, inputMode: 'decimal' },
          }}
        />
      </TableCell>
      <TableCell>
        <TextField
          size="small"
          value={unk}
          onChange={(e) => setUnk(e.target.value)}
          placeholder="model"
          slotProps={{
            htmlInput: { 'aria-label': `Unknown threshold ${camera.name}`, inputMode: 'decimal' },
          }}
        />
      </TableCell>
      <TableCell sx={{ minWidth: 200 }}>
        <Button
          size="small"
          disabled={busy}
          onClick={() => void save()}
          aria-label={`Save thresholds ${camera.name}`}
        >
          Save
        </Button>
        <OutcomeLine outcome={outcome} />
      </TableCell>
    </TableRow>
  );
}

function Retention({ initial, onSaved }: { initial: unknown; onSaved: () => void }) {
  const [days, setDays] = useState(typeof initial === 'number' ? String(initial) : '30');
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    const d = parseInteger(days, 'Retention', 1, 3650);
    if ('error' in d) return setOutcome({ ok: false, message: d.error });
    setBusy(true);
    setOutcome(
      await attempt(
        () => call('settings.set', { key: 'retention_days', value: d.value }),
        (r) => savedMessage(r, 'Retention'),
      ),
    );
    setBusy(false);
    onSaved();
  };
  return (
    <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
      <TextField
        label="Retention days"
        size="small"
        value={days}
        onChange={(e) => setDays(e.target.value)}
        slotProps={{ htmlInput: { inputMode: 'numeric' } }}
        sx={{ width: 160 }}
      />
      <Button variant="contained" disabled={busy} onClick={() => void save()}>
        Save retention
      </Button>
      <OutcomeLine outcome={outcome} />
    </Stack>
  );
}
