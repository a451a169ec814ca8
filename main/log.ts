/**
 * Structured JSON-lines logging to stderr. Callers pass fields, never free text with
 * personal data: names, credentials and vectors must not be logged (see redactUrl).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: LogLevel = (process.env.VIGIL_LOG_LEVEL as LogLevel | undefined) ?? 'warn';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export function log(level: LogLevel, event: string, fields: LogFields = {}): void {
  if (order[level] < order[threshold]) return;
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, event, ...fields }) + '\n');
}

/** Strips user:password from a URL so a camera address can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
