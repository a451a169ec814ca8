import type { Handlers } from '../context.js';
import { recentProblems } from '../../logs/log-file.js';

/** The last warnings and errors of the engine's log file, for Settings → Logs. */
export const logsHandlers: Pick<Handlers, 'system.logProblems'> = {
  'system.logProblems': (ctx, input) => recentProblems(ctx.engine.dataDir, input.limit ?? 50),
};
