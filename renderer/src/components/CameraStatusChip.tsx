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

/** "online · 9.8 fps", "reconnecting", "error: <why>"; the reason (or the last error) as a tooltip. */
export function CameraStatusChip({ status }: { status: LiveStatus }) {
  const { state, reason, fps, lastError } = status;
  let label = LABEL[state] ?? state;
  if (state === 'online') label += ` · ${fps.toFixed(1)} fps`;
  else if (reason && (state === 'error' || state === 'offline')) label += `: ${reason}`;
  const tip = reason ?? (lastError ? `Last error: ${lastError}` : '');
  return (
    <Tooltip title={tip} disableHoverListener={!tip}>
      <Chip
        size="small"
        color={COLOR[state] ?? 'default'}
        label={label}
        data-testid="camera-status"
        sx={{ maxWidth: '100%' }}
      />
    </Tooltip>
  );
}
