import type { ConsoleEvent, RecognitionEventView } from '../contract/contract.js';
import type { Permission } from '../contract/roles.js';
import type { EngineEvent } from '../engine/events.js';

/** The permission a console needs to receive an engine event; a kiosk receives none of them. */
export function eventPermission(e: ConsoleEvent): Permission {
  if (e.type === 'alert' || e.type === 'alert_status') return 'alerts.view';
  if (e.type === 'progress') return 'reports.export';
  return 'live.view';
}

/** Engine events as the contract describes them: only the fields a console needs leave the engine. */
export function toConsoleEvent(e: EngineEvent): ConsoleEvent {
  switch (e.type) {
    case 'preview':
      return e;
    case 'recognition': {
      const { type, camera_id, track_id, kind, member_id, unknown_id, name, confidence, bbox, at } = e;
      // One figure for the guard: cosine similarity to whoever was decided. The engine's confidence
      // of a new unknown is 1 − its best similarity, a different quantity, so it is not shown as one.
      const similarity = kind === 'new_unknown' ? null : confidence;
      const possible = (e as { possible_member?: RecognitionEventView['possible_member'] }).possible_member;
      return {
        type,
        camera_id,
        track_id,
        kind,
        member_id,
        unknown_id,
        name,
        confidence,
        similarity,
        ...(possible ? { possible_member: possible } : {}),
        bbox,
        at,
      };
    }
    case 'camera_status':
      return { type: 'camera_status', camera_id: e.camera_id, state: e.state, reason: e.reason, fps: e.fps };
    case 'stats':
      return {
        type: 'stats',
        cameras: e.cameras,
        frames_analysed: e.frames_analysed,
        frames_dropped: e.frames_dropped,
      };
    case 'alert':
      return {
        type: 'alert',
        alert_id: e.alert_id,
        alert_type: e.alert_type,
        priority: e.priority,
        message: e.message,
        created_at: e.created_at,
        person_id: e.person_id,
        camera_id: e.camera_id,
      };
  }
}
