import { Notification } from 'electron';
import type { AlertEventView } from '../contract/contract.js';
import { notificationFor } from './status.js';

/** Shown notifications are kept referenced until closed, or a click may never arrive. */
const shown = new Set<Notification>();

/**
 * Desktop notifications for critical and high alerts, so a guard away from the console window
 * still sees them. Clicking one brings the console forward.
 */
export function notifyAlert(alert: AlertEventView, reveal: boolean, show: () => void): void {
  const n = notificationFor(alert, reveal);
  if (!n || !Notification.isSupported()) return;
  const notification = new Notification({
    title: n.title,
    body: n.body,
    urgency: n.urgency,
    timeoutType: n.urgency === 'critical' ? 'never' : 'default',
  });
  shown.add(notification);
  notification.on('click', show);
  notification.on('close', () => shown.delete(notification));
  notification.show();
}
