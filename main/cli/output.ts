import { describeError, isVigilError } from '../errors.js';
import { diskFullError, isDiskFull } from '../store/write-guard.js';

export class UsageError extends Error {}

export interface Out {
  json: boolean;
  /** A JSON value on stdout (one line) in --json mode, else the human text. */
  result(value: unknown, human: () => string): void;
}

export function makeOut(json: boolean): Out {
  return {
    json,
    result(value, human) {
      process.stdout.write((json ? JSON.stringify(value) : human()) + '\n');
    },
  };
}

/**
 * A file name or message as one printable line: control characters (a newline in a file name, a
 * terminal escape) are shown escaped, so they can neither split a line nor drive the terminal.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** One line on stderr, never a stack trace; the exit code says what kind of failure it was. */
export function fail(caught: unknown): number {
  const e = isDiskFull(caught) ? diskFullError(caught) : caught;
  if (e instanceof UsageError) {
    process.stderr.write(`vigil: ${printable(e.message)}\n`);
    return 2;
  }
  process.stderr.write(`vigil: ${printable(describeError(e))}\n`);
  if (!isVigilError(e) && process.env.VIGIL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  return isVigilError(e) ? 1 : 3;
}
