import Alert from '@mui/material/Alert';
import Link from '@mui/material/Link';
import Snackbar from '@mui/material/Snackbar';
import { useCallback, useRef, useState } from 'react';
import type { AlertEventView } from '../../../main/contract/contract.js';
import { useConsoleEvent } from '../hooks/useConsoleEvent.js';
import { personHref } from '../router.js';

/** More than this many unseen toasts is a flood; the Alerts page has the full list. */
const MAX_QUEUED = 20;

interface Toast {
  key: number;
  event: AlertEventView;
}

type Severity = 'error' | 'warning' | 'info';
const SEVERITY: Record<string, Severity> = {
  critical: 'error',
  high: 'warning',
  medium: 'info',
  low: 'info',
};

type AudioContextCtor = typeof AudioContext;

/**
 * A short two-tone beep so a critical alert is noticed by a guard looking away from the screen.
 * AudioContext can be missing (jsdom, locked-down kiosks) or refuse to start before a user gesture;
 * the toast is the alert, the sound only a courtesy, so every failure here is swallowed.
 */
function beep(ctxRef: { current: AudioContext | null }): void {
  try {
    const w = window as unknown as { AudioContext?: AudioContextCtor; webkitAudioContext?: AudioContextCtor };
    const Ctor = w.AudioContext ?? w.webkitAudioContext;
    if (!Ctor) return;
    ctxRef.current ??= new Ctor();
    const ctx = ctxRef.current;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    const t0 = ctx.currentTime;
    for (const [i, freq] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + i * 0.18);
      osc.stop(t0 + i * 0.18 + 0.15);
    }
  } catch {
    // No sound; the visible toast still carries the alert.
  }
}

/** Mounted once by the App shell: one Snackbar per incoming alert, shown one after another. */
export function CriticalAlertToast() {
  const [queue, setQueue] = useState<Toast[]>([]);
  const [open, setOpen] = useState(true);
  const nextKey = useRef(1);
  const audio = useRef<AudioContext | null>(null);

  const onAlert = useCallback((event: AlertEventView) => {
    if (event.priority === 'critical') beep(audio);
    setQueue((q) => [...q, { key: nextKey.current++, event }].slice(-MAX_QUEUED));
  }, []);
  useConsoleEvent('alert', onAlert);
  // Handled anywhere (this console, another one, or closed with its person's case): the toast goes.
  useConsoleEvent('alert_status', (e) => {
    const done = new Set(e.alert_ids);
    setQueue((q) => {
      const head = q[0];
      const rest = q.slice(1).filter((t) => t.event.alert_id === undefined || !done.has(t.event.alert_id));
      if (head?.event.alert_id !== undefined && done.has(head.event.alert_id)) setOpen(false);
      return head ? [head, ...rest] : rest;
    });
  });

  const current = queue[0];
  const close = (_e?: unknown, reason?: string) => {
    // A click elsewhere on the console must not dismiss an alert the guard has not read.
    if (reason === 'clickaway') return;
    setOpen(false);
  };
  const exited = () => {
    setQueue((q) => q.slice(1));
    setOpen(true);
  };

  if (!current) return null;
  const critical = current.event.priority === 'critical';
  const more = queue.length - 1;
  return (
    <Snackbar
      key={current.key}
      open={open}
      onClose={close}
      // Critical alerts stay until dismissed; the rest step aside after a while.
      autoHideDuration={critical ? null : 8000}
      // Bottom left, over the navigation's empty foot: page actions (top right) and dialog buttons
      // (bottom right) stay usable while alerts keep coming.
      anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
      slotProps={{ transition: { onExited: exited } }}
    >
      <Alert
        data-testid="alert-toast"
        data-alert-id={current.event.alert_id}
        severity={SEVERITY[current.event.priority] ?? 'info'}
        variant="filled"
        onClose={() => close()}
        sx={{ width: '100%', maxWidth: 480 }}
      >
        <strong>{current.event.priority.toUpperCase()}</strong> {current.event.message}
        {more > 0 && ` (+${more} more)`}
        {current.event.person_id && (
          <Link
            href={personHref(
              current.event.person_id.startsWith('MEMBER_') ? 'member' : 'unknown',
              current.event.person_id,
            )}
            color="inherit"
            sx={{ ml: 1, fontWeight: 700 }}
            data-testid="alert-toast-open"
          >
            Open
          </Link>
        )}
      </Alert>
    </Snackbar>
  );
}

export default CriticalAlertToast;
