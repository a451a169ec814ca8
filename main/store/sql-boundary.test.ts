import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';

/**
 * The store owns all SQL: outside `main/store/` no module prepares a statement, imports the SQLite
 * driver, opens a transaction on a database handle, or reaches through `store.sql` to the handle.
 * Tests and the test fixtures in `main/testing/` may inspect the database directly.
 */
const RULES: { name: string; pattern: RegExp }[] = [
  { name: 'prepares a statement', pattern: /\bprepare\(/ },
  {
    name: "imports 'better-sqlite3'",
    pattern: /from\s+['"]better-sqlite3['"]|require\(\s*['"]better-sqlite3['"]\s*\)/,
  },
  { name: 'opens a transaction on a database handle', pattern: /\b(?:db|sql|database)\.transaction\(/ },
  { name: 'runs a pragma on a database handle', pattern: /\b(?:db|sql|database)\.pragma\(/ },
  { name: "reaches the store's SQLite handle", pattern: /\.sql\./ },
];

export interface Offence {
  file: string;
  line: number;
  rule: string;
}

/** Every line of `text` (the file `file`) that breaks a rule. */
export function offences(file: string, text: string): Offence[] {
  const out: Offence[] = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    for (const r of RULES) if (r.pattern.test(code)) out.push({ file, line: i + 1, rule: r.name });
  });
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.isFile() && e.name.endsWith('.ts') ? [path] : [];
  });
}

const exempt = (rel: string) =>
  rel.startsWith(`main${sep}store${sep}`) ||
  rel.startsWith(`main${sep}testing${sep}`) ||
  rel.endsWith('.test.ts');

describe('the store owns all SQL', () => {
  it('finds a planted statement, driver import, handle transaction and handle reach-through', () => {
    const planted = [
      "import Database from 'better-sqlite3';",
      "const n = engine.db.prepare('SELECT COUNT(*) FROM members').pluck().get();",
      'db.transaction(() => undefined).immediate();',
      "db.pragma('wal_checkpoint(TRUNCATE)');",
      'const open = engine.store.sql.open;',
      '// a comment may say db.prepare( without breaking the rule',
      "store.transaction(() => store.audit.append({ actor: 'a', action: 'b' }), 'immediate');",
    ].join('\n');
    expect(offences('planted.ts', planted).map((o) => [o.line, o.rule])).toEqual([
      [1, "imports 'better-sqlite3'"],
      [2, 'prepares a statement'],
      [3, 'opens a transaction on a database handle'],
      [4, 'runs a pragma on a database handle'],
      [5, "reaches the store's SQLite handle"],
    ]);
  });

  it('holds for every module outside main/store/', () => {
    const root = packageRoot();
    const found = sources(join(root, 'main'))
      .map((path) => ({ rel: relative(root, path), path }))
      .filter(({ rel }) => !exempt(rel))
      .flatMap(({ rel, path }) => offences(rel.split(sep).join('/'), readFileSync(path, 'utf8')));
    expect(found.map((o) => `${o.file}:${o.line} ${o.rule}`)).toEqual([]);
  });
});
