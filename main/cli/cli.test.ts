import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { pngBomb } from '../testing/images.js';
import { MIGRATIONS } from '../store/migrations.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

function vigil(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    lines: r.stdout.trim().split('\n').filter(Boolean),
  };
}

const A = (f: string) => asset('faces', 'celeba', '07201', f);
const B = (f: string) => asset('faces', 'celeba', '07205', f);

describeWithAssets('vigil CLI contract', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  });

  it('enroll prints the documented JSON and exits 0', () => {
    const r = vigil([
      'enroll',
      '--data-dir',
      dir,
      '--name',
      'Ann Example',
      '--apartment',
      '4B',
      '--json',
      A('001085.jpg'),
      A('007710.jpg'),
      A('017588.jpg'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const out = JSON.parse(r.lines[0]!);
    expect(Object.keys(out).sort()).toEqual([
      'embeddings_count',
      'member_id',
      'quality_score',
      'rejected',
      'warnings',
    ]);
    expect(out.embeddings_count).toBe(3);
  });

  it('identify prints one JSON line per image, an error line for a bad one, and exits non-zero at the end', () => {
    const bad = join(dir, 'broken.jpg');
    writeFileSync(bad, 'not a jpeg');
    const r = vigil(['identify', '--data-dir', dir, '--json', A('021650.jpg'), bad, B('018774.jpg')]);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(3);
    const [known, broken, stranger] = r.lines.map((l) => JSON.parse(l));
    expect(known.image).toBe(A('021650.jpg'));
    const face = known.faces.find((f: { type: string }) => f.type === 'known_member');
    expect(face).toMatchObject({ name: 'Ann Example', member_id: expect.stringMatching(/^MEMBER_/) });
    expect(face.bbox).toHaveLength(4);
    expect(face.candidates[0]).toEqual({
      member_id: face.member_id,
      name: 'Ann Example',
      similarity: expect.any(Number),
    });
    expect(broken).toEqual({
      image: bad,
      error: expect.stringMatching(/not a readable JPEG, PNG or WebP image/),
    });
    expect(stranger.faces[0]).toMatchObject({
      type: 'new_unknown',
      unknown_id: expect.stringMatching(/^UNKNOWN_\d{8}_[0-9a-f]{8}$/),
    });
    expect(stranger.faces[0].member_id).toBeUndefined();
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('members and unknowns list, show and delete', () => {
    const list = JSON.parse(vigil(['members', 'list', '--data-dir', dir, '--json']).stdout);
    expect(list).toHaveLength(1);
    const id = list[0].member_id;
    const show = JSON.parse(vigil(['members', 'show', id, '--data-dir', dir, '--json']).stdout);
    expect(show).toMatchObject({ member_id: id, name: 'Ann Example', apartment: '4B', total_appearances: 1 });
    const unknowns = JSON.parse(vigil(['unknowns', 'list', '--data-dir', dir, '--json']).stdout);
    expect(unknowns[0]).toMatchObject({
      unknown_id: expect.stringMatching(/^UNKNOWN_/),
      appearance_count: 1,
      status: 'active',
    });
    expect(vigil(['members', 'delete', id, '--data-dir', dir, '--json']).code).toBe(0);
    const again = vigil(['members', 'show', id, '--data-dir', dir, '--json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`vigil: No member with id ${id}.\n`);
  });

  it('refuses bad enrollment input with one line and no stack trace, changing nothing', () => {
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, pngBomb());
    const empty = join(dir, 'zero.jpg');
    writeFileSync(empty, '');
    for (const photos of [
      [bomb],
      [empty],
      [asset('faces', 'face_recognition_knn', 'extra', 'two_people.jpg')],
      [join(dir, 'nope.jpg')],
    ]) {
      const r = vigil(['enroll', '--data-dir', dir, '--name', 'X', '--json', ...photos]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^vigil: No usable photo, so no member was created/);
      expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    }
    expect(JSON.parse(vigil(['members', 'list', '--data-dir', dir, '--json']).stdout)).toEqual([]);
    const usage = vigil(['enroll', '--data-dir', dir, A('001085.jpg')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/needs --name/);
  });

  it('cameras, config and alerts work on the store without a server', () => {
    const add = vigil([
      'cameras',
      'add',
      '--data-dir',
      dir,
      '--id',
      'door',
      '--name',
      'Front door',
      '--url',
      'rtsp://admin:pw123@127.0.0.1:8554/door',
      '--json',
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({
      camera_id: 'door',
      url: 'rtsp://***@127.0.0.1:8554/door',
    });
    const status = JSON.parse(vigil(['cameras', 'status', '--data-dir', dir, '--json']).stdout);
    expect(status[0]).toMatchObject({
      camera_id: 'door',
      status: { state: 'offline', reason: 'vigil serve is not running' },
    });
    expect(vigil(['cameras', 'list', '--data-dir', dir]).stdout).not.toMatch(/pw123/);
    const bad = vigil([
      'cameras',
      'add',
      '--data-dir',
      dir,
      '--id',
      'x',
      '--name',
      'X',
      '--url',
      'gopher://x',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^vigil: Unsupported camera address/);
    expect(vigil(['cameras', 'remove', 'door', '--data-dir', dir]).code).toBe(0);
    expect(vigil(['config', 'set', 'retention_days', '14', '--data-dir', dir]).code).toBe(0);
    expect(
      JSON.parse(vigil(['config', 'get', 'retention_days', '--data-dir', dir, '--json']).stdout),
    ).toEqual({ key: 'retention_days', value: 14 });
    const invalid = vigil([
      'config',
      'set',
      'alert_channels',
      '{"webhook":{"url":"not a url"}}',
      '--data-dir',
      dir,
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^vigil: Invalid alert_channels: webhook\.url/);
    expect(JSON.parse(vigil(['alerts', 'list', '--data-dir', dir, '--json']).stdout)).toEqual([]);
    expect(vigil(['alerts', 'ack', '7', '--data-dir', dir]).stderr).toBe('vigil: No open alert #7.\n');
  });

  it('doctor reports models, checksums, provider, ffmpeg and the database', () => {
    const r = vigil(['doctor', '--data-dir', dir, '--json']);
    const d = JSON.parse(r.stdout);
    expect(d.models.map((m: { role: string }) => m.role)).toEqual([
      'detector',
      'landmarks',
      'landmarks fallback',
      'recognizer',
      'liveness',
    ]);
    expect(d.models.every((m: { sha256_ok: boolean }) => m.sha256_ok)).toBe(true);
    expect(d.execution_provider).toBe('cpu');
    expect(d.database).toMatchObject({
      integrity: 'ok',
      audit_chain_ok: true,
      schema_version: MIGRATIONS[MIGRATIONS.length - 1]!.version,
    });
    expect(typeof d.ffmpeg?.path === 'string' || d.ffmpeg === null).toBe(true);
  });

  it('doctor and enroll name a swapped model file and the fix', () => {
    const models = join(dir, 'swapped');
    mkdirSync(models);
    // The 68-point model's file replaced by another model under the same name.
    copyFileSync(
      asset('models', 'yunet', 'face_detection_yunet_2023mar.onnx'),
      join(models, 'fr_landmark.onnx'),
    );
    const env = { VIGIL_MODELS_DIR: models };
    const doctor = vigil(['doctor', '--data-dir', dir, '--json'], env);
    expect(doctor.code).toBe(1);
    const d = JSON.parse(doctor.stdout);
    expect(d.ok).toBe(false);
    expect(d.models.find((m: { id: string }) => m.id === 'faceplugin-landmarks68').error).toMatch(
      /fr_landmark\.onnx .* expected 1163742: it is not faceplugin-landmarks68/,
    );
    const enroll = vigil(['enroll', '--data-dir', dir, '--name', 'Y', A('001085.jpg')], env);
    expect(enroll.code).toBe(1);
    expect(enroll.stderr).toMatch(/^vigil: Model file .*fr_landmark\.onnx has 232589 bytes/);
  });
});
