import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { asset, describeWithAssets } from '../testing/assets.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

/**
 * Runs the built CLI; asynchronously, so the test worker stays responsive on a loaded machine
 * (each run starts node and most open the store: the long tables get generous timeouts, never timed).
 */
function vigil(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** A data folder path that does not exist yet: a refused command line must not create it. */
const freshDir = () => join(mkdtempSync(join(tmpdir(), 'vigil-parser-')), 'data');

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
});

describe('vigil command line: each command takes its own options', () => {
  it('refuses an option its command does not take with one sentence, exit 2, writing nothing', async () => {
    const cases: [string[], string][] = [
      [
        ['enroll', '--camera', 'door', '--name', 'X', 'photo.jpg'],
        'vigil: Unknown option --camera: enroll does not take it; see "vigil enroll --help".\n',
      ],
      [
        ['members', 'list', '--name', 'Ann'],
        'vigil: Unknown option --name: members list does not take it; see "vigil members list --help".\n',
      ],
      [
        ['cameras', 'add', '--id', 'a', '--name', 'A', '--url', 'rtsp://127.0.0.1/a', '--role', 'admin'],
        'vigil: Unknown option --role: cameras add does not take it; see "vigil cameras add --help".\n',
      ],
      [
        ['config', 'get', 'retention_days', '--no-such-flag'],
        'vigil: Unknown option --no-such-flag: config get does not take it; see "vigil config get --help".\n',
      ],
      [['-x', 'cameras', 'list'], 'vigil: Unknown option -x: vigil does not take it; see "vigil --help".\n'],
    ];
    for (const [args, sentence] of cases) {
      const dir = freshDir();
      const r = await vigil([...args, '--data-dir', dir]);
      expect(r.stderr, args.join(' ')).toBe(sentence);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(existsSync(dir), `${args.join(' ')} created the data folder`).toBe(false);
    }
  });

  it('names a missing option value and extra arguments in a sentence, exit 2', async () => {
    const dir = freshDir();
    const missing = await vigil(['cameras', 'add', '--data-dir', dir, '--id']);
    expect(missing.stderr).toBe(
      'vigil: --id needs a value (vigil cameras add --id <id>); see "vigil cameras add --help".\n',
    );
    expect(missing.code).toBe(2);
    const extra = await vigil(['cameras', 'list', 'door', '--data-dir', dir]);
    expect(extra.stderr).toBe(
      'vigil: cameras list takes no arguments, not also "door"; see "vigil cameras list --help".\n',
    );
    expect(extra.code).toBe(2);
    const two = await vigil(['members', 'show', 'MEMBER_a', 'MEMBER_b', '--data-dir', dir]);
    expect(two.stderr).toBe(
      'vigil: members show takes 1 argument, not also "MEMBER_b"; see "vigil members show --help".\n',
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("prints each command's own options with --help, help COMMAND and help on a group (exit 0)", async () => {
    const enroll = await vigil(['enroll', '--help']);
    expect(enroll.code).toBe(0);
    expect(enroll.stdout).toMatch(/^Usage: vigil enroll \[options\] \[photos\.\.\.\]\n/);
    for (const flag of ['--name <name>', '--apartment', '--email', '--phone', '--data-dir <dir>', '--json'])
      expect(enroll.stdout).toContain(flag);
    for (const other of ['--camera', '--url', '--role', '--out']) expect(enroll.stdout).not.toContain(other);

    const add = await vigil(['cameras', 'add', '--help']);
    expect(add.code).toBe(0);
    for (const flag of ['--id <id>', '--name <name>', '--url <url>', '--location', '--loop'])
      expect(add.stdout).toContain(flag);
    expect(add.stdout).not.toContain('--apartment');
    // One flag name, two meanings: each command describes its own.
    expect(enroll.stdout).toMatch(/--name <name> +the member's name/);
    expect(add.stdout).toMatch(/--name <name> +the camera's name/);

    const viaHelp = await vigil(['help', 'cameras', 'add']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(add.stdout);

    const group = await vigil(['members', '--help']);
    expect(group.code).toBe(0);
    for (const v of ['list', 'show [id]', 'delete [id]', 'suspend [id]', 'watchlist [id] [state]', 'hours'])
      expect(group.stdout).toContain(`  ${v}`);

    const top = await vigil(['--help']);
    expect(top.code).toBe(0);
    // Every command of the README's table is listed.
    for (const c of [
      'enroll',
      'identify',
      'calibrate',
      'members',
      'unknowns',
      'cameras',
      'serve',
      'events',
      'appearances',
      'alerts',
      'config',
      'doctor',
      'models',
      'subject',
      'consent',
      'audit',
      'users',
      'backup',
      'restore',
      'metrics',
      'help',
    ])
      expect(top.stdout).toMatch(new RegExp(`\\n  ${c}\\b`));

    const none = await vigil([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe(top.stdout);
    const unknown = await vigil(['help', 'frob']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('vigil: unknown command "frob"; run "vigil --help"\n');
  });

  it("keeps each command module's usage sentences (exit 2)", async () => {
    // Captured from the CLI before the parser changed (node:util parseArgs, one flat option bag).
    const dir = freshDir();
    const cases: [string[], string][] = [
      [['frob'], 'unknown command "frob"; run "vigil --help"'],
      [['cameras'], 'cameras takes add, list or remove ID'],
      [['cameras', 'frob'], 'cameras takes add, list or remove ID'],
      [['cameras', 'add', '--id', 'x'], 'cameras add needs --id ID --name NAME --url URL'],
      [
        ['members', 'frob'],
        'members takes list, show ID, delete ID, suspend ID, activate ID, watchlist ID on|off or hours ID HH:MM-HH:MM|any',
      ],
      [['members', 'watchlist', 'MEMBER_x', 'maybe'], 'members watchlist ID on|off'],
      [['unknowns', 'crop', 'X'], 'unknowns crop needs an unknown id and --out FILE'],
      [['config', 'frob', 'retention_days'], 'config set KEY JSON'],
      [['alerts', 'ack', 'x'], 'alerts ack needs an alert number'],
      [['users', 'add', 'a', 'b'], 'users add takes one username'],
      [
        ['users', 'add', 'x', '--role', 'root'],
        'unknown role "root"; roles are admin, security, operator, viewer, kiosk',
      ],
      [['subject', 'frob', 'X'], 'subject takes export ID [--out FILE], erase ID or restrict ID [--lift]'],
      [['consent', 'record', 'X'], 'consent record needs --text TEXT'],
      [['audit'], 'audit takes verify'],
      [['models', 'frob'], 'models takes list or fetch PACK'],
      [['metrics'], 'metrics takes one subcommand: token [--rotate]'],
      [['events'], 'events needs --follow (it streams from a running vigil serve)'],
      [['backup'], 'backup needs --out FILE'],
      [['calibrate', '--far', '2'], '--far takes a rate between 0 and 1, e.g. 0.01'],
      [['serve', '--tls-cert', 'x'], '--tls-cert and --tls-key go together'],
      [['appearances', '--since', 'garbage'], '--since takes a date or time, e.g. 2026-11-28T08:00:00Z'],
    ];
    for (const [args, sentence] of cases) {
      const r = await vigil([...args, '--data-dir', dir]);
      // A command that opened the folder first may log the folder's creation on stderr before it.
      expect(r.stderr.trim().split('\n').at(-1), args.join(' ')).toBe(`vigil: ${sentence}`);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const restore = await vigil(['restore', 'backup.vbak']);
    expect(restore.stderr).toBe('vigil: restore needs --data-dir DIR (a new or empty folder)\n');
    expect(restore.code).toBe(2);
  }, 300_000);

  it('prints the JSON contract byte for byte, with the global options anywhere on the line', async () => {
    // Captured from the CLI before the parser changed.
    const dir = freshDir();
    const door =
      '{"camera_id":"door","name":"Door","location":null,"url":"rtsp://***@127.0.0.1:8554/x","resolution":null,"fps":null,"recognition_enabled":true,"recognition_threshold":null,"unknown_threshold":null,"loop":false}';
    const cam2 =
      '{"camera_id":"cam2","name":"Cam two","location":"Hall","url":"rtsp://127.0.0.1:8554/y","resolution":null,"fps":null,"recognition_enabled":true,"recognition_threshold":null,"unknown_threshold":null,"loop":true}';
    const offline = ',"status":{"state":"offline","reason":"vigil serve is not running"}}';
    const steps: [string[], string, number][] = [
      [['cameras', 'list', '--json'], '[]\n', 0],
      [
        [
          'cameras',
          'add',
          '--id',
          'door',
          '--name',
          'Door',
          '--url',
          'rtsp://a:b@127.0.0.1:8554/x',
          '--json',
        ],
        `${door}\n`,
        0,
      ],
      // Global options before the command, the camera's own after it.
      [
        [
          '--json',
          'cameras',
          'add',
          '--id',
          'cam2',
          '--name',
          'Cam two',
          '--url',
          'rtsp://127.0.0.1:8554/y',
          '--location',
          'Hall',
          '--loop',
        ],
        `${cam2}\n`,
        0,
      ],
      // --location belongs to cameras add: refused, nothing printed.
      [['cameras', 'list', '--location', 'Hall', '--json'], '', 2],
      [['cameras', 'list', '--json'], `[${cam2},${door}]\n`, 0],
      [
        ['cameras', 'status', '--json'],
        `[${cam2.slice(0, -1)}${offline},${door.slice(0, -1)}${offline}]\n`,
        0,
      ],
      [['config', 'get', 'retention_days', '--json'], '{"key":"retention_days","value":30}\n', 0],
      [['config', 'set', 'retention_days', '15', '--json'], '{"key":"retention_days","updated":true}\n', 0],
      [['config', 'get', 'retention_days', '--json'], '{"key":"retention_days","value":15}\n', 0],
      [['config', 'get', 'alert_channels', '--json'], '{"key":"alert_channels","value":{}}\n', 0],
      [['alerts', 'list', '--json'], '[]\n', 0],
      [['members', 'list', '--json'], '[]\n', 0],
      [['unknowns', 'list', '--json'], '[]\n', 0],
      [['users', 'list', '--json'], '[]\n', 0],
      [['appearances', '--json'], '[]\n', 0],
    ];
    for (const [args, stdout, code] of steps) {
      const r = await vigil([...args, '--data-dir', dir]);
      expect(r.stdout, args.join(' ')).toBe(stdout);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
    }
    const list = `[${cam2},${door}]\n`;
    expect((await vigil(['--data-dir', dir, '--json', 'cameras', 'list'])).stdout).toBe(list);
    expect((await vigil(['cameras', `--data-dir=${dir}`, 'list', '--json'])).stdout).toBe(list);
    const human = await vigil(['cameras', 'list', '--data-dir', dir]);
    expect(human.stdout).toBe(
      'cam2  Cam two  rtsp://127.0.0.1:8554/y\ndoor  Door  rtsp://***@127.0.0.1:8554/x\n',
    );
    const missing = await vigil(['members', 'show', 'MEMBER_x', '--data-dir', dir, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe('vigil: No member with id MEMBER_x.\n');
  }, 300_000);
});

describeWithAssets('vigil command line: one option name, each command its own meaning', () => {
  it('--name names the member for enroll and the camera for cameras add', async () => {
    const dir = freshDir();
    const photo = asset('faces', 'celeba', '07201', '001085.jpg');
    const enroll = await vigil(['enroll', '--name', 'Ann Example', photo, '--data-dir', dir, '--json']);
    expect(enroll.code, enroll.stderr).toBe(0);
    const members = JSON.parse((await vigil(['members', 'list', '--data-dir', dir, '--json'])).stdout) as {
      name: string;
    }[];
    expect(members.map((m) => m.name)).toEqual(['Ann Example']);
    expect(JSON.parse((await vigil(['cameras', 'list', '--data-dir', dir, '--json'])).stdout)).toEqual([]);
    const add = await vigil([
      'cameras',
      'add',
      '--id',
      'door',
      '--name',
      'Front door',
      '--url',
      'rtsp://127.0.0.1/d',
      '--data-dir',
      dir,
    ]);
    expect(add.code, add.stderr).toBe(0);
    const after = JSON.parse((await vigil(['cameras', 'list', '--data-dir', dir, '--json'])).stdout) as {
      camera_id: string;
      name: string;
    }[];
    expect(after.map((c) => [c.camera_id, c.name])).toEqual([['door', 'Front door']]);
    expect(
      (
        JSON.parse((await vigil(['members', 'list', '--data-dir', dir, '--json'])).stdout) as {
          name: string;
        }[]
      ).map((m) => m.name),
    ).toEqual(['Ann Example']);
  });
});
