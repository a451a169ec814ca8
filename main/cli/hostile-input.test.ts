import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';

// Generated inputs and the default pack that ships in the npm install: no shared assets needed.
const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

function vigil(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: string | null; pid: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code, signal) => resolve({ code, signal, pid: p.pid!, stdout, stderr }));
  });
}

describe('the CLI under hostile input', () => {
  let dir: string;
  let photo: string;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-cli-'));
    // Long folder names, as a photo library's can be: 60 of these paths make ~50 KB of arguments.
    const deep = join(dir, 'a'.repeat(200), 'b'.repeat(200), 'c'.repeat(200), 'd'.repeat(200));
    mkdirSync(deep, { recursive: true });
    photo = join(deep, 'holiday photo from the front door.png');
    writeFileSync(
      photo,
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } })
        .png()
        .toBuffer(),
    );
  });

  it('identifies photos whose names add up to 50 KB of arguments (onnxruntime telemetry once overflowed the stack)', async () => {
    const r = await vigil(['identify', '--data-dir', join(dir, 'data'), '--json', ...Array(60).fill(photo)]);
    expect(r.signal, r.stderr.slice(-500)).toBeNull();
    expect(r.code, r.stderr.slice(-500)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(60);
    expect(JSON.parse(lines[59]!)).toEqual({ image: photo, faces: [] });
    // The telemetry client also left a log file per process in /tmp.
    expect(existsSync(join(tmpdir(), `mat-debug-${r.pid}.log`))).toBe(false);
  });

  it('refuses a folder named like a photo with a sentence, in identify and in enroll', async () => {
    const folder = join(dir, 'folder.jpg');
    mkdirSync(folder);
    const data = join(dir, 'data');
    const id = await vigil(['identify', '--data-dir', data, '--json', folder, photo]);
    expect(id.code).toBe(1);
    const [first, second] = id.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(first).toEqual({ image: folder, error: `${folder} is not a file.` });
    expect(second).toEqual({ image: photo, faces: [] });
    expect(id.stderr).toMatch(/^vigil: 1 of 2 image\(s\) could not be read$/m);
    const en = await vigil(['enroll', '--data-dir', data, '--name', 'X', folder]);
    expect(en.code).toBe(1);
    expect(en.stdout).toBe('');
    expect(en.stderr.trim().split('\n').at(-1)).toBe(
      `vigil: No usable photo, so no member was created (${folder}: The photo is not a file.).`,
    );
  });

  it('prints a file name holding a newline or a terminal escape on one line, escaped', async () => {
    const odd = join(dir, 'two\nlines \u001b[31mred.png');
    writeFileSync(odd, 'not an image');
    const data = join(dir, 'data');
    const r = await vigil(['identify', '--data-dir', data, odd, photo]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    // One line per photo: the bad one's name is escaped, never split or passed to the terminal.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('two\\nlines \\u001b[31mred.png: ');
    expect(r.stdout).not.toContain('\u001b');
    expect(lines[1]).toBe(`${photo}: no face found`);
  });

  it('refuses an empty passphrase file instead of creating the folder unlocked', async () => {
    const empty = join(dir, 'empty-passphrase');
    writeFileSync(empty, '\n');
    const data = join(dir, 'locked');
    const r = await vigil(['members', 'list', '--data-dir', data, '--passphrase-file', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `vigil: The passphrase file ${empty} is empty: its first line is the passphrase.\n`,
    );
    expect(existsSync(data)).toBe(false);
  });

  it('refuses to restore from a folder with a sentence, leaving no target behind', async () => {
    const folder = join(dir, 'backup-folder.vbak');
    mkdirSync(folder);
    const target = join(dir, 'restored');
    const r = await vigil(['restore', folder, '--data-dir', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`vigil: ${folder} is not a Vigil backup (not a file).\n`);
    expect(existsSync(target)).toBe(false);
  });

  it('says why a password file cannot be read in one sentence', async () => {
    const folder = join(dir, 'password-folder');
    mkdirSync(folder);
    const data = join(dir, 'users');
    const r = await vigil([
      'users',
      'add',
      'ann',
      '--role',
      'admin',
      '--password-file',
      folder,
      '--data-dir',
      data,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `vigil: The password file ${folder} cannot be read: it is a folder.`,
    );
  });
});
