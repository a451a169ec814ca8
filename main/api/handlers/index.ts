import type { Handlers } from '../context.js';
import { adminHandlers } from './admin.js';
import { alertsHandlers } from './alerts.js';
import { authHandlers } from './auth.js';
import { camerasHandlers } from './cameras.js';
import { dashboardHandlers } from './dashboard.js';
import { discoveryHandlers } from './discovery.js';
import { logsHandlers } from './logs.js';
import { membersHandlers } from './members.js';
import { recognitionHandlers } from './recognition.js';
import { reportsHandlers } from './reports.js';
import { subjectsHandlers } from './subjects.js';
import { unknownsHandlers } from './unknowns.js';

/** Every method of the contract, one domain module each; the type makes a missing one a compile error. */
export const handlers: Handlers = {
  ...authHandlers,
  ...camerasHandlers,
  ...membersHandlers,
  ...unknownsHandlers,
  ...alertsHandlers,
  ...dashboardHandlers,
  ...reportsHandlers,
  ...adminHandlers,
  ...subjectsHandlers,
  ...recognitionHandlers,
  ...logsHandlers,
  ...discoveryHandlers,
};
