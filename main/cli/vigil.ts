#!/usr/bin/env node
import { fail } from './output.js';
import { runCli } from './program.js';

export type { GlobalOptions } from './global-options.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = fail(e);
  },
);
