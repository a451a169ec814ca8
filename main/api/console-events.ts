import type { ConsoleEvent } from '../contract/contract.js';
import type { Permission } from '../contract/roles.js';
import type { EngineEvent } from '../engine/events.js';

/** The permission a console needs to receive an engine event; a kiosk receives none of them. */
export function eventPermission(e: ConsoleEvent): Permission {
  if (e.type === 'alert') return 'alerts.view';
  if (e.type === 'progress') return 'reports.export';
  return 'live.view';
}

/** Engine events as the contract describes them (the engine's carry internal counters too). */
export function toConsoleEvent(e: EngineEvent): ConsoleEvent {
  return e as ConsoleEvent;
}
