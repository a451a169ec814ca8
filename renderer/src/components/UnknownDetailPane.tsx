import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { call } from '../api.js';
import { useCall } from '../hooks/useCall.js';
import { useSession } from '../store/session.js';
import { formatTime } from './format.js';
import { ErrorState, Loading, sentenceOf } from './states.js';

/** The face crop, decrypted by the engine on request; locked crops show the engine's sentence. */
function Crop({ id, hasCrop }: { id: string; hasCrop: boolean }) {
  const canView = useSession((s) => s.can('unknowns.view_crop'));
  const crop = useCall('unknowns.crop', canView && hasCrop ? { id } : null);
  const frame = { width: 160, height: 160, borderRadius: 1, bgcolor: 'action.hover', flexShrink: 0 } as const;
  if (!canView)
    return (
      <Box sx={{ ...frame, display: 'grid', placeItems: 'center', p: 1 }}>
        <Typography variant="caption" color="text.secondary" align="center">
          Your role cannot see face crops.
        </Typography>
      </Box>
    );
  if (!hasCrop)
    return (
      <Box sx={{ ...frame, display: 'grid', placeItems: 'center' }}>
        <Typography variant="caption" color="text.secondary">
          No crop kept
        </Typography>
      </Box>
    );
  if (crop.loading) return <Box sx={frame} role="status" aria-label="Loading crop" />;
  if (crop.error || !crop.data)
    return (
      <Alert severity="info" sx={{ width: 220 }} data-testid="crop-locked">
        {crop.error ?? 'No crop.'}
      </Alert>
    );
  return (
    <Box
      component="img"
      data-testid="unknown-crop"
      src={`data:${crop.data.mime};base64,${crop.data.data}`}
      alt={`Face of ${id}`}
      sx={{ ...frame, objectFit: 'cover' }}
    />
  );
}

/** One unknown person: crop, when and where seen, and each sighting (with "not this person"). */
export function UnknownDetailPane({
  id,
  onChanged,
  onPossibly,
}: {
  id: string;
  onChanged(): void;
  /** One-click identification with a member this face resembles; absent for roles that cannot. */
  onPossibly?(m: { member_id: string; name: string }): void;
}) {
  const detail = useCall('unknowns.get', { id });
  const cameras = useCall('cameras.list', {});
  const cameraName = (cid: string | null) =>
    cid === null ? 'photo' : (cameras.data?.find((c) => c.camera_id === cid)?.name ?? cid);
  const canResolve = useSession((s) => s.can('unknowns.resolve'));
  const [error, setError] = useState<string | null>(null);

  if (detail.loading && !detail.data) return <Loading label="Loading person" />;
  if (detail.error) return <ErrorState message={detail.error} onRetry={detail.reload} />;
  const u = detail.data;
  if (!u) return null;

  const split = async (appearanceId: number) => {
    setError(null);
    try {
      await call('unknowns.notThisPerson', { id, appearance_id: appearanceId });
      detail.reload();
      onChanged();
    } catch (e) {
      setError(sentenceOf(e));
    }
  };

  return (
    <Stack spacing={2} data-testid="unknown-detail">
      <Stack direction="row" spacing={2}>
        <Crop id={id} hasCrop={u.has_crop} />
        <Box>
          <Typography variant="h6">{u.unknown_id}</Typography>
          <Typography variant="body2">First seen: {formatTime(u.first_seen)}</Typography>
          <Typography variant="body2">Last seen: {formatTime(u.last_seen)}</Typography>
          <Typography variant="body2">Appearances: {u.appearance_count}</Typography>
          <Typography variant="body2">Cameras: {u.cameras.map(cameraName).join(', ') || '—'}</Typography>
          {u.identified_as && <Typography variant="body2">Identified as: {u.identified_as}</Typography>}
        </Box>
      </Stack>
      {u.status === 'active' &&
        u.similar_members.map((m) => (
          <Alert
            key={m.member_id}
            severity="info"
            data-testid="possible-member"
            action={
              onPossibly && (
                <Button color="inherit" size="small" onClick={() => onPossibly(m)}>
                  Yes, identify as {m.name}
                </Button>
              )
            }
          >
            Possibly <strong>{m.name}</strong>? Face similarity {m.similarity.toFixed(2)}; members are
            recognised from {u.recognition_threshold.toFixed(2)}.
          </Alert>
        ))}
      {error && (
        <Alert severity="error" data-testid="error">
          {error}
        </Alert>
      )}
      <Typography variant="subtitle2">Sightings</Typography>
      {u.sightings.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          No sightings are kept for this person.
        </Typography>
      ) : (
        <List dense aria-label="Sightings" sx={{ maxHeight: 320, overflow: 'auto' }}>
          {u.sightings.map((s) => (
            <ListItem
              key={s.appearance_id}
              divider
              data-testid="sighting"
              secondaryAction={
                canResolve && (
                  <Button
                    size="small"
                    onClick={() => void split(s.appearance_id)}
                    aria-label={`Not this person (sighting ${s.appearance_id})`}
                  >
                    Not this person
                  </Button>
                )
              }
            >
              <ListItemText
                primary={`${formatTime(s.first_seen)} – ${new Date(s.last_seen).toLocaleTimeString()}`}
                secondary={`${cameraName(s.camera_id)} · ${
                  s.appearance_id === u.sightings.at(-1)?.appearance_id
                    ? 'first sighting'
                    : `similarity ${s.confidence.toFixed(2)}`
                }`}
              />
            </ListItem>
          ))}
        </List>
      )}
    </Stack>
  );
}
