import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { CameraTestResult, CameraView } from '../../../../main/contract/contract.js';
import { LIMITS } from '../../../../main/contract/wire.js';
import { call } from '../../api.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { sentenceOf } from '../../components/states.js';
import { useCall } from '../../hooks/useCall.js';
import { CAMERA_ID } from './validate.js';
import { DataTable } from '../../components/DataTable.js';

export function CamerasTab() {
  const cameras = useCall('cameras.list', {});
  const [editing, setEditing] = useState<CameraView | 'new' | null>(null);
  const [removing, setRemoving] = useState<CameraView | null>(null);

  return (
    <Box>
      <Stack direction="row" sx={{ justifyContent: 'flex-end', mb: 1 }}>
        <Button variant="contained" data-testid="camera-add" onClick={() => setEditing('new')}>
          Add camera
        </Button>
      </Stack>
      <DataTable
        label="Cameras"
        rows={cameras.data}
        error={cameras.error}
        onRetry={cameras.reload}
        empty={{ title: 'No cameras yet', hint: 'Add an RTSP/HTTP stream or a video file.' }}
        maxHeight="calc(100vh - 260px)"
        rowKey={(c) => c.camera_id}
        rowProps={(c) => ({ 'data-testid': 'camera-row', 'data-id': c.camera_id })}
        columns={[
          { id: 'name', header: 'Name', cell: (c) => c.name },
          { id: 'id', header: 'Id', cell: (c) => c.camera_id },
          {
            id: 'url',
            header: 'URL',
            sx: { maxWidth: 320, overflow: 'hidden', textOverflow: 'ellipsis' },
            cellProps: (c) => ({ title: c.url }),
            cell: (c) => c.url,
          },
          { id: 'location', header: 'Location', cell: (c) => c.location ?? '—' },
          // Only in a cluster, where each camera is watched by one of several nodes.
          ...((cameras.data ?? []).some((c) => c.node !== undefined)
            ? [{ id: 'node', header: 'Node', cell: (c: CameraView) => c.node ?? 'none yet' }]
            : []),
          {
            id: 'state',
            header: 'State',
            cell: (c) => <Chip size="small" label={c.state} title={c.reason ?? undefined} />,
          },
          {
            id: 'actions',
            header: 'Actions',
            align: 'right',
            sx: { whiteSpace: 'nowrap' },
            cell: (c) => (
              <>
                <Button size="small" aria-label={`Edit camera ${c.name}`} onClick={() => setEditing(c)}>
                  Edit
                </Button>
                <Button
                  size="small"
                  color="error"
                  aria-label={`Remove camera ${c.name}`}
                  onClick={() => setRemoving(c)}
                >
                  Remove
                </Button>
              </>
            ),
          },
        ]}
      />
      {editing && (
        <CameraDialog
          camera={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            cameras.reload();
          }}
        />
      )}
      <ConfirmDialog
        open={removing !== null}
        title="Remove camera"
        body={`Remove ${removing?.name ?? ''}? Its recorded sightings stay; live recognition on it stops.`}
        confirmLabel="Remove"
        onConfirm={async () => {
          if (removing) await call('cameras.remove', { id: removing.camera_id });
          cameras.reload();
        }}
        onClose={() => setRemoving(null)}
      />
    </Box>
  );
}

/**
 * Add or edit one camera. Adding tests the URL first (a typo in an RTSP address is the usual
 * mistake) but lets the guard save anyway: a camera that is offline right now is still a camera.
 */
function CameraDialog({
  camera,
  onClose,
  onSaved,
}: {
  camera: CameraView | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const adding = camera === null;
  const [id, setId] = useState(camera?.camera_id ?? '');
  const [name, setName] = useState(camera?.name ?? '');
  // The password is typed in its own masked field and put into the URL only when sent; one typed
  // into the URL is moved there at once, so it is never shown on a guard-room screen.
  const [urlText, setUrlText] = useState(camera?.url ?? '');
  const [password, setPassword] = useState('');
  const url = withPassword(urlText, password);
  const setUrl = (text: string) => {
    const split = splitPassword(text);
    setUrlText(split.url);
    if (split.password !== null) setPassword(split.password);
  };
  const [location, setLocation] = useState(camera?.location ?? '');
  const [loop, setLoop] = useState(false);
  const [test, setTest] = useState<{ url: string; result: CameraTestResult } | null>(null);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const [error, setError] = useState<string | null>(null);

  const urlChanged = camera === null || url !== camera.url;
  // The list shows passwords as ***; testing that would test the wrong password.
  const canTest = url.trim() !== '' && !(!urlChanged && url.includes('***'));
  const testedThisUrl = test && test.url === url.trim() ? test.result : null;

  const invalid = (): string | null => {
    if (adding && !CAMERA_ID.test(id.trim()))
      return 'A camera id is 1–64 letters, digits, "_", "-" or ".", starting with a letter or digit.';
    if (!name.trim()) return 'A camera needs a name.';
    if (!url.trim()) return 'A camera needs a URL or a video file path.';
    return null;
  };

  const runTest = async (): Promise<CameraTestResult | null> => {
    setBusy('test');
    setError(null);
    try {
      const result = await call('cameras.test', { url: url.trim() });
      setTest({ url: url.trim(), result });
      return result;
    } catch (e) {
      setError(sentenceOf(e));
      return null;
    } finally {
      setBusy(null);
    }
  };

  const save = async () => {
    const problem = invalid();
    if (problem) return setError(problem);
    // First Save on an untested URL tests it; after a failed test the button reads "Save anyway".
    if (adding && !testedThisUrl) {
      const r = await runTest();
      if (!r?.ok) return;
    }
    setBusy('save');
    setError(null);
    try {
      const loc = location.trim() ? location.trim() : null;
      if (adding) {
        await call('cameras.add', { id: id.trim(), name: name.trim(), url: url.trim(), location: loc, loop });
      } else {
        await call('cameras.update', {
          id: camera.camera_id,
          name: name.trim(),
          location: loc,
          ...(urlChanged ? { url: url.trim() } : {}),
        });
      }
      onSaved();
    } catch (e) {
      setError(sentenceOf(e));
      setBusy(null);
    }
  };

  const saveLabel = adding && testedThisUrl && !testedThisUrl.ok ? 'Save anyway' : 'Save';
  return (
    <Dialog open onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" aria-labelledby="camera-title">
      <DialogTitle id="camera-title">{adding ? 'Add camera' : `Edit ${camera.name}`}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField
            label="Camera id"
            value={id}
            onChange={(e) => setId(e.target.value)}
            disabled={!adding}
            required
            size="small"
            helperText={adding ? 'Letters, digits, "_", "-", "."; cannot be changed later.' : undefined}
            slotProps={{ htmlInput: { maxLength: LIMITS.camera_id } }}
          />
          <TextField
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            size="small"
            slotProps={{ htmlInput: { maxLength: LIMITS.camera_name } }}
          />
          <TextField
            label="URL"
            value={urlText}
            onChange={(e) => setUrl(e.target.value)}
            required
            size="small"
            helperText="rtsp://user@host/stream, http(s)://… or a video file path; the password goes below"
            slotProps={{ htmlInput: { maxLength: LIMITS.url } }}
          />
          <TextField
            label="Camera password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            size="small"
            autoComplete="new-password"
            disabled={!isNetworkUrl(urlText)}
            helperText={
              camera && camera.url.includes('***') && password === ''
                ? 'Kept as it is unless you type a new one.'
                : 'For rtsp:// and http(s):// cameras that need one.'
            }
            slotProps={{
              htmlInput: { maxLength: LIMITS.camera_credential, 'data-testid': 'camera-password' },
            }}
          />
          <TextField
            label="Location"
            value={location}
            onChange={(e) => setLocation(e.target.value)}
            size="small"
            slotProps={{ htmlInput: { maxLength: LIMITS.location } }}
          />
          {adding && (
            <FormControlLabel
              control={<Checkbox checked={loop} onChange={(e) => setLoop(e.target.checked)} />}
              label="Loop (video files: start again at the end)"
            />
          )}
          {testedThisUrl && (
            <Alert severity={testedThisUrl.ok ? 'success' : 'error'} data-testid="camera-test-result">
              {testedThisUrl.message}
              {testedThisUrl.ok && testedThisUrl.width
                ? ` (${testedThisUrl.width}×${testedThisUrl.height})`
                : ''}
            </Alert>
          )}
          {error && (
            <Alert severity="error" data-testid="error">
              {error}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={() => void runTest()} disabled={!canTest || busy !== null}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </Button>
        <Box sx={{ flex: 1 }} />
        <Button onClick={onClose} disabled={busy !== null}>
          Cancel
        </Button>
        <Button variant="contained" onClick={() => void save()} disabled={busy !== null}>
          {saveLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function isNetworkUrl(text: string): boolean {
  return /^(rtsp|rtsps|http|https):\/\//i.test(text.trim());
}

/** A URL's password taken out of it (null when it has none, or it is not a URL). */
export function splitPassword(text: string): { url: string; password: string | null } {
  if (!isNetworkUrl(text)) return { url: text, password: null };
  try {
    const u = new URL(text.trim());
    if (!u.password || u.password === '***') return { url: text, password: null };
    const password = decodeURIComponent(u.password);
    u.password = '';
    return { url: u.toString(), password };
  } catch {
    return { url: text, password: null };
  }
}

/** The URL sent to the engine: the typed password put back in (percent-encoded). */
export function withPassword(text: string, password: string): string {
  if (!password || !isNetworkUrl(text)) return text;
  try {
    const u = new URL(text.trim());
    u.password = password;
    return u.toString();
  } catch {
    return text;
  }
}
