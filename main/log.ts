/**
 * Structured JSON-lines logging to stderr. Callers pass fields, never free text with
 * personal data: names, credentials and vectors must not be logged (see redactUrl).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** VIGIL_LOG_LEVEL, or warn: a misspelt level must not silence every message, errors included. */
export function logLevelFrom(text: string | undefined): LogLevel {
  return text && Object.hasOwn(order, text) ? (text as LogLevel) : 'warn';
}

let threshold: LogLevel = logLevelFrom(process.env.VIGIL_LOG_LEVEL);

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** A second destination (the data folder's log file, see logs/log-file.ts) with its own level. */
export interface LogSink {
  level: LogLevel;
  write(line: string): void;
}
let sink: LogSink | null = null;

export function setLogSink(s: LogSink | null): void {
  sink = s;
}

export function log(level: LogLevel, event: string, fields: LogFields = {}): void {
  const toStderr = order[level] >= order[threshold];
  const toSink = !!sink && order[level] >= order[sink.level];
  if (!toStderr && !toSink) return;
  const line = JSON.stringify({ t: new Date().toISOString(), level, event, ...fields }) + '\n';
  if (toStderr) process.stderr.write(line);
  if (toSink) sink!.write(line);
}

/** Strips user:password from a URL so a camera address can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
