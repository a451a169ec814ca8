import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../config/data-dir.js';
import { logLevelFrom } from '../log.js';
import { preferredProvider } from '../runtime/session.js';
import { createDataFolder } from '../store/open.js';
import { workerCount } from './inference-pool.js';

describe('hostile environment values', () => {
  it('VIGIL_WORKERS counts only as a whole number from 1', () => {
    for (const v of ['-3', '0', '-0', '0.5', 'NaN', '1e309', 'abc', '', undefined])
      expect(workerCount(v, 2), String(v)).toBe(2);
    expect(workerCount('3', 2)).toBe(3);
    expect(workerCount(undefined, 16)).toBe(4);
  });

  it('a misspelt VIGIL_LOG_LEVEL falls back to warn instead of silencing errors', () => {
    for (const v of ['bogus', 'ERROR', 'constructor', '__proto__', '', undefined])
      expect(logLevelFrom(v), String(v)).toBe('warn');
    expect(logLevelFrom('debug')).toBe('debug');
  });

  it('an unknown VIGIL_EXECUTION_PROVIDER is ignored, not handed to onnxruntime', () => {
    const before = process.env.VIGIL_EXECUTION_PROVIDER;
    try {
      process.env.VIGIL_EXECUTION_PROVIDER = 'bogus';
      expect(['cuda', 'dml', 'coreml', 'cpu']).toContain(preferredProvider());
      process.env.VIGIL_EXECUTION_PROVIDER = 'cpu';
      expect(preferredProvider()).toBe('cpu');
    } finally {
      if (before === undefined) delete process.env.VIGIL_EXECUTION_PROVIDER;
      else process.env.VIGIL_EXECUTION_PROVIDER = before;
    }
  });

  it('a data folder that cannot be created is one sentence naming the folder and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-env-'));
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => createDataFolder(file)).toThrow(
      `The data folder ${file} cannot be created: a file is in the way (it, or a folder above it, is a file).`,
    );
    expect(() => createDataFolder(join(file, 'below'))).toThrow(/a file is in the way/);
    expect(() => createDataFolder('')).toThrow(
      'The data folder is empty: give a folder with --data-dir or VIGIL_DATA_DIR.',
    );
  });

  it('an empty VIGIL_DATA_DIR is unset, as the settings variables are', () => {
    const before = process.env.VIGIL_DATA_DIR;
    try {
      process.env.VIGIL_DATA_DIR = '';
      expect(resolveDataDir(undefined)).not.toBe('');
      process.env.VIGIL_DATA_DIR = '/srv/vigil';
      expect(resolveDataDir(undefined)).toBe('/srv/vigil');
      expect(resolveDataDir('/x')).toBe('/x');
    } finally {
      if (before === undefined) delete process.env.VIGIL_DATA_DIR;
      else process.env.VIGIL_DATA_DIR = before;
    }
  });
});
