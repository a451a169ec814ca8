import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseOptions, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

// The rules `npm run lint` checks, applied to scratch trees that mirror the repository's folders:
// a clean one must pass, and one with a planted violation of every rule must fail on each.
const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as {
  forbidden: IForbiddenRuleType[];
  options: ICruiseOptions;
};

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vigil-layers-'));
  scratch.push(root);
  const all: Record<string, string> = {
    // Stand-ins for the two packages the rules name, so the scratch tree resolves them offline.
    'node_modules/electron/package.json': '{"name":"electron","main":"index.js"}',
    'node_modules/electron/index.js': 'module.exports = {};',
    'node_modules/better-sqlite3/package.json': '{"name":"better-sqlite3","main":"index.js"}',
    'node_modules/better-sqlite3/index.js': 'module.exports = function Database() {};',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

async function violations(root: string): Promise<{ rule: string; from: string; to: string }[]> {
  // The tree's imports carry no extension, so it needs no tsconfig; every rule is the lint's own.
  const { tsConfig: _tsConfig, ...options } = config.options;
  const out = await cruise(['main', 'renderer', 'preload'], {
    ...options,
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
  });
  const result = out.output as ICruiseResult;
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

const clean: Record<string, string> = {
  'main/errors.ts': 'export class VigilError extends Error {}',
  'main/contract/wire.ts': 'export const LIMIT = 64;',
  'main/contract/contract.ts':
    "import { LIMIT } from './wire';\nexport type Name = string;\nexport const n = LIMIT;",
  'main/util/random.ts': 'export const seed = 1;',
  'main/match/similarity.ts': "import { seed } from '../util/random';\nexport const dot = seed;",
  'main/store/db.ts': "import Database from 'better-sqlite3';\nexport const db = Database;",
  'main/store/vectors.ts':
    "import { dot } from '../match/similarity';\nimport { db } from './db';\nexport const v = [dot, db];",
  'main/engine/engine.ts':
    "import { v } from '../store/vectors';\nimport { VigilError } from '../errors';\nexport const e = [v, VigilError];",
  'main/decide/bands.ts': "import { e } from '../engine/engine';\nexport const b = e;",
  'main/services/review.ts': "import { b } from '../decide/bands';\nexport const r = b;",
  'main/cluster/relay.ts':
    "import { v } from '../store/vectors';\nimport type { Name } from '../contract/contract';\nexport const relay: Name[] = [String(v)];",
  'main/api/handlers.ts':
    "import { r } from '../services/review';\nimport type { Name } from '../contract/contract';\nexport const h: Name[] = [String(r)];",
  'main/cli/vigil.ts': "import { h } from '../api/handlers';\nexport const c = h;",
  'main/shell/app.ts':
    "import electron from 'electron';\nimport { h } from '../api/handlers';\nexport const a = [electron, h];",
  'preload/preload.ts':
    "import electron from 'electron';\nimport { LIMIT } from '../main/contract/wire';\nexport const p = [electron, LIMIT];",
  'renderer/src/pages/Page.tsx':
    "import type { Name } from '../../../main/contract/contract';\nimport { LIMIT } from '../../../main/contract/wire';\nimport { row } from '../components/Row';\nexport const page: Name = String(LIMIT) + row;",
  'renderer/src/components/Row.tsx': "export const row = 'row';",
  // Tests may reach across layers to set up what they check.
  'main/store/vectors.test.ts': "import { h } from '../api/handlers';\nexport const t = h;",
};

describe('the layer rules (.dependency-cruiser.cjs)', () => {
  it('pass a tree that keeps to the layers', async () => {
    expect(await violations(tree(clean))).toEqual([]);
  }, 60_000);

  it('fail on a planted violation of each rule', async () => {
    const planted = tree({
      ...clean,
      // store → api: the base calls an adapter.
      'main/store/leak.ts': "import { h } from '../api/handlers';\nexport const l = h;",
      // engine ⇄ decide: a folder cycle, though no single module imports itself.
      'main/engine/bands-user.ts': "import { b } from '../decide/bands';\nexport const u = b;",
      'main/engine/sql.ts': "import Database from 'better-sqlite3';\nexport const s = Database;",
      'main/engine/window.ts': "import electron from 'electron';\nexport const w = electron;",
      'main/engine/console.ts':
        "import { row } from '../../renderer/src/components/Row';\nexport const c = row;",
      'main/engine/gone.ts': "import { x } from './missing';\nexport const g = x;",
      'main/services/cli-user.ts': "import { c } from '../cli/vigil';\nexport const u = c;",
      // The cluster sits with the services: it calls no adapter, and no stage calls it.
      'main/cluster/server-user.ts': "import { h } from '../api/handlers';\nexport const u = h;",
      'main/engine/relay-user.ts': "import { relay } from '../cluster/relay';\nexport const u = relay;",
      'main/match/engine-user.ts': "import { e } from '../engine/engine';\nexport const u = e;",
      'main/log.ts': "import { v } from './store/vectors';\nexport const l = v;",
      'renderer/src/pages/Engine.tsx':
        "import { e } from '../../../main/engine/engine';\nexport const x = e;",
      'renderer/src/pages/Values.tsx':
        "import { n } from '../../../main/contract/contract';\nexport const y = n;",
    });
    const found = await violations(planted);
    const fired = new Set(found.map((v) => v.rule));
    expect([...fired].sort()).toEqual(config.forbidden.map((r) => r.name).sort());
    expect(found).toContainEqual({
      rule: 'base-below-stages',
      from: 'main/store/leak.ts',
      to: 'main/api/handlers.ts',
    });
    expect(found.filter((v) => v.rule === 'no-folder-cycle').map((v) => v.from)).toEqual(
      expect.arrayContaining(['main/engine', 'main/decide']),
    );
    expect(found).toContainEqual(
      expect.objectContaining({ rule: 'sqlite-only-in-store', from: 'main/engine/sql.ts' }),
    );
    expect(found).toContainEqual({
      rule: 'services-below-adapters',
      from: 'main/cluster/server-user.ts',
      to: 'main/api/handlers.ts',
    });
    expect(found).toContainEqual({
      rule: 'stages-below-services',
      from: 'main/engine/relay-user.ts',
      to: 'main/cluster/relay.ts',
    });
    expect(found).toContainEqual(
      expect.objectContaining({ rule: 'electron-only-in-shell', from: 'main/engine/window.ts' }),
    );
  }, 60_000);
});
