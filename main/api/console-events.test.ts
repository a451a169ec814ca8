import { describe, expect, it } from 'vitest';
import { eventPermission, toConsoleEvent } from './console-events.js';

const base = {
  type: 'recognition' as const,
  camera_id: 'gate',
  track_id: 3,
  bbox: [10, 20, 110, 140] as [number, number, number, number],
  frame_at: 1,
  at: 2,
};

describe('console events', () => {
  it('gives one similarity figure: to the decided identity, none for a new stranger', () => {
    const member = toConsoleEvent({
      ...base,
      kind: 'known_member',
      member_id: 'M',
      name: 'Ada',
      confidence: 0.61,
    });
    expect(member).toMatchObject({ similarity: 0.61, bbox: [10, 20, 110, 140] });
    expect(member).not.toHaveProperty('frame_at');
    const recurring = toConsoleEvent({
      ...base,
      kind: 'recurring_unknown',
      unknown_id: 'U',
      name: 'U',
      confidence: 0.55,
    });
    expect(recurring).toMatchObject({ similarity: 0.55 });
    // The engine's 0.93 for a new unknown is 1 − its best similarity to anyone: not a similarity.
    const fresh = toConsoleEvent({
      ...base,
      kind: 'new_unknown',
      unknown_id: 'U2',
      name: 'U2',
      confidence: 0.93,
    });
    expect(fresh).toMatchObject({ similarity: null, confidence: 0.93 });
  });

  it('sends alert changes to those who may see alerts, with the alert ids only', () => {
    expect(eventPermission({ type: 'alert_status', alert_ids: [1], status: 'resolved' })).toBe('alerts.view');
    const alert = toConsoleEvent({
      type: 'alert',
      alert_type: 'new_unknown',
      alert_id: 4,
      priority: 'high',
      message: 'm',
      camera_id: 'gate',
      person_id: 'U',
      created_at: 'now',
    } as never);
    expect(alert).toMatchObject({ type: 'alert', alert_id: 4, person_id: 'U', camera_id: 'gate' });
  });
});
