import { existsSync, mkdtempSync, readdirSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { log, setLogSink } from '../log.js';
import { LOG_FILE, RotatingLogFile, attachLogFile, recentProblems } from './log-file.js';

afterEach(() => setLogSink(null));

describe('the data folder log', () => {
  it('rotates by size and keeps a bounded number of files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
    const f = new RotatingLogFile(join(dir, LOG_FILE), 1000, 2);
    const line =
      JSON.stringify({ t: new Date().toISOString(), level: 'info', event: 'x', pad: 'p'.repeat(80) }) + '\n';
    for (let i = 0; i < 100; i++) f.write(line);
    expect(readdirSync(dir).sort()).toEqual([LOG_FILE, `${LOG_FILE}.1`, `${LOG_FILE}.2`]);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(1000);
  });

  it('receives info and above as JSON lines; Settings reads back warnings and errors, newest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
    attachLogFile(dir);
    log('debug', 'not_kept', {});
    log('info', 'camera_started', { camera: 'door' });
    log('warn', 'ws_refused', { reason: 'path' });
    log('error', 'frame_failed', { camera: 'door', error: 'boom' });
    appendFileSync(join(dir, LOG_FILE), '{"cut short by a cra');
    expect(existsSync(join(dir, LOG_FILE))).toBe(true);
    const problems = recentProblems(dir);
    expect(problems.map((p) => [p.level, p.event])).toEqual([
      ['error', 'frame_failed'],
      ['warn', 'ws_refused'],
    ]);
    expect(problems[0]!.fields).toEqual({ camera: 'door', error: 'boom' });
    expect(recentProblems(dir, 1)).toHaveLength(1);
    expect(recentProblems(mkdtempSync(join(tmpdir(), 'vigil-log-')))).toEqual([]);
  });
});
