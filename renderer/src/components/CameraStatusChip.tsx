import Chip from '@mui/material/Chip';
import Tooltip from '@mui/material/Tooltip';
import type { CameraState } from '../../../main/contract/contract.js';

const LABEL: Record<CameraState, string> = {
  online: 'online',
  connecting: 'reconnecting',
  offline: 'offline',
  error: 'error',
  disabled: 'disabled',
};
const COLOR = {
  online: 'success',
  connecting: 'warning',
  offline: 'default',
  error: 'error',
  disabled: 'default',
} as const satisfies Record<CameraState, 'success' | 'warning' | 'default' | 'error'>;

export interface LiveStatus {
  state: CameraState;
  reason: string | null;
  fps: number;
  /** Why the decoder last failed, also once it recovered. */
  lastError?: string | null;
}

/**
 * "online · 5.0 fps analysed · 2.0 shown", "reconnecting", "error: <why>"; the reason also as a
 * tooltip. The engine decodes at the analysis rate and sends a slower preview: both are given, so
 * the badge does not claim the tile moves faster than it does.
 */
export function CameraStatusChip({
  status,
  previewFps,
  unreachable = false,
}: {
  status: LiveStatus;
  /** Previews per second actually received; omitted where it is not measured. */
  previewFps?: number;
  /** The engine itself cannot be reached: the last known state is not current. */
  unreachable?: boolean;
}) {
  const { state, reason, fps, lastError } = status;
  let label = LABEL[state] ?? state;
  if (unreachable) label = 'engine unreachable';
  else if (state === 'online')
    label +=
      previewFps === undefined
        ? ` · ${fps.toFixed(1)} fps`
        : ` · ${fps.toFixed(1)} fps analysed · ${previewFps.toFixed(1)} shown`;
  else if (reason && (state === 'error' || state === 'offline')) label += `: ${reason}`;
  const tip = reason ?? (lastError ? `Last error: ${lastError}` : '');
  return (
    <Tooltip title={tip} disableHoverListener={!tip}>
      <Chip
        size="small"
        color={unreachable ? 'default' : (COLOR[state] ?? 'default')}
        label={label}
        data-testid="camera-status"
        sx={{ maxWidth: '100%' }}
      />
    </Tooltip>
  );
}
