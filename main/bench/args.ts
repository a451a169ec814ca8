import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Parses `npm run bench:x -- --flag value` arguments; unknown flags are an error. */
export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(options: T) {
  return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (v: number, digits = 3): number => Number(v.toFixed(digits));
