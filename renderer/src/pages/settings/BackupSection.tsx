import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { call } from '../../api.js';
import { attempt, OutcomeLine, Section, type Outcome } from './parts.js';
import { parseInteger } from './validate.js';

interface Schedule {
  enabled: boolean;
  folder: string | null;
  keep: number;
  hour: number;
}

const DEFAULTS: Schedule = { enabled: false, folder: null, keep: 7, hour: 2 };

function asSchedule(v: unknown): Schedule {
  const o = (v && typeof v === 'object' ? v : {}) as Partial<Schedule>;
  return {
    enabled: o.enabled === true,
    folder: typeof o.folder === 'string' ? o.folder : null,
    keep: typeof o.keep === 'number' ? o.keep : DEFAULTS.keep,
    hour: typeof o.hour === 'number' ? o.hour : DEFAULTS.hour,
  };
}

/** Scheduled backups (the `backup_schedule` setting the engine applies; `vigil backup` for one now). */
export function BackupSection({ initial, onSaved }: { initial: unknown; onSaved: () => void }) {
  const start = asSchedule(initial);
  const [enabled, setEnabled] = useState(start.enabled);
  const [folder, setFolder] = useState(start.folder ?? '');
  const [keep, setKeep] = useState(String(start.keep));
  const [hour, setHour] = useState(String(start.hour));
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const k = parseInteger(keep, 'Backups kept', 1, 365);
    if ('error' in k) return setOutcome({ ok: false, message: k.error });
    const h = parseInteger(hour, 'Hour', 0, 23);
    if ('error' in h) return setOutcome({ ok: false, message: h.error });
    const value: Schedule = { enabled, folder: folder.trim() || null, keep: k.value, hour: h.value };
    setBusy(true);
    setOutcome(
      await attempt(() => call('settings.set', { key: 'backup_schedule', value }), 'Backup schedule saved.'),
    );
    setBusy(false);
    onSaved();
  };

  return (
    <Section
      title="Scheduled backups"
      hint="Once a day from the hour below, the engine writes an encrypted backup (store, keys, audit anchor) and keeps the newest ones. Restore with `vigil restore FILE --data-dir DIR`."
    >
      <Stack spacing={2}>
        <FormControlLabel
          control={<Checkbox checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />}
          label="Back up daily"
        />
        <TextField
          label="Backup folder"
          size="small"
          value={folder}
          onChange={(e) => setFolder(e.target.value)}
          helperText="An absolute path, ideally on another disk; empty: the data folder's backups/."
        />
        <Stack direction="row" spacing={2}>
          <TextField
            label="Backups kept"
            size="small"
            value={keep}
            onChange={(e) => setKeep(e.target.value)}
            slotProps={{ htmlInput: { inputMode: 'numeric' } }}
            sx={{ width: 160 }}
          />
          <TextField
            label="Hour (0-23)"
            size="small"
            value={hour}
            onChange={(e) => setHour(e.target.value)}
            slotProps={{ htmlInput: { inputMode: 'numeric' } }}
            sx={{ width: 160 }}
          />
        </Stack>
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
          <Button variant="contained" disabled={busy} onClick={() => void save()}>
            Save backup schedule
          </Button>
          <OutcomeLine outcome={outcome} />
        </Stack>
        <Typography variant="body2" color="text.secondary">
          A folder created without a passphrase is encrypted with its device.key: keep a copy of that file
          apart from the backups.
        </Typography>
      </Stack>
    </Section>
  );
}
