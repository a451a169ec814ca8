import type { OpenMethod } from './contract.js';

/**
 * The contract's constants that both ends of the wire need as values: the engine (shell, server,
 * schema), the preload and the console. Plain values with no imports at run time (the one import is a type), so the preload and the
 * page bundle them without pulling in zod or engine code (contract.ts re-exports them).
 */

/** Electron IPC: the console's requests, and the engine's events to every console window. */
export const IPC_INVOKE_CHANNEL = 'vigil:invoke';
export const IPC_EVENT_CHANNEL = 'vigil:event';

/** `vigil serve`: public calls over HTTP, everything else over one WebSocket. */
export const RPC_PATH = '/api/rpc';
export const WS_PATH = '/ws';
/** The WebSocket subprotocol of the console; the credential travels as a second one. */
export const WS_PROTOCOL = 'vigil';
export const WS_AUTH_PREFIX = 'vigil.auth.';
/** The server closes a console's socket with this code when its session expired or was revoked. */
export const SESSION_ENDED_CLOSE = 4401;

/** Longest text the engine accepts per field; the console's inputs stop at the same length. */
export const LIMITS = {
  name: 200,
  apartment: 100,
  email: 200,
  phone: 50,
  notes: 2000,
  username: 64,
  password: 256,
  camera_id: 64,
  camera_name: 200,
  location: 200,
  url: 2000,
  /** A camera's username or password, sent when testing it. */
  camera_credential: 200,
} as const;

/** A camera's id: it names files and log lines, so letters, digits, '_', '-', '.' and 64 at most. */
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const MEMBER_TYPES = ['member', 'visitor', 'staff', 'delivery'] as const;

/**
 * The methods open before sign-in, for the page: the compiler holds this record to the method
 * table's `permission: null` entries (contract.ts OPEN_METHODS, which the engine's gates use), so a
 * method opened or closed there cannot be forgotten here.
 */
export const OPEN_METHOD_NAMES: Readonly<Record<OpenMethod, true>> = {
  'auth.status': true,
  'auth.setup': true,
  'auth.login': true,
  'auth.logout': true,
  'auth.changePassword': true,
  'system.info': true,
  'kiosk.unlock': true,
};
