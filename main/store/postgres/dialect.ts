/**
 * The mechanical differences between the repositories' SQL (written for SQLite) and PostgreSQL's,
 * translated in one place. What is not mechanical (pragmas, sqlite-vec, file checkpoints) is
 * branched on the port's dialect inside the repository instead; what can be written once for both
 * (upserts with ON CONFLICT, CASE instead of scalar max) is written once.
 *
 * Translated, outside string literals, quoted identifiers and comments only:
 * - `?` and `@name` placeholders → `$1…` (one number per distinct name);
 * - mixed-case column aliases (`AS personId`) quoted, since PostgreSQL folds unquoted names;
 * - `LIKE` → `ILIKE`: SQLite's LIKE ignores ASCII case, PostgreSQL's does not;
 * - `json_each(x)` over a JSON array → `json_array_elements_text((x)::json)`, its column `value`;
 * - `$n IS [NOT] NULL` → `$n::text IS …` (a bare parameter has no type to infer from);
 * - an INSERT into a table with an identity key gets `RETURNING <key>`, for lastInsertRowid.
 */

/** Where each `$n` takes its value from: a position among the `?`s, or a named parameter. */
export type ParamRef = { index: number } | { name: string };

export interface TranslatedSql {
  text: string;
  params: ParamRef[];
  /** Set when `RETURNING` was appended: the identity column whose value is lastInsertRowid. */
  returning: string | null;
}

/** Tables whose key PostgreSQL generates (GENERATED … AS IDENTITY); SQLite's rowid aliases. */
const IDENTITY_KEYS: Record<string, string> = {
  alerts: 'alert_id',
  appearances: 'appearance_id',
  audit_log: 'audit_id',
  consents: 'consent_id',
  embeddings: 'embedding_id',
  index_changes: 'seq',
};

type Piece = { code: true; text: string } | { code: false; text: string };

/** Splits SQL into code and the parts that must pass untouched (strings, quoted names, comments). */
function split(sql: string): Piece[] {
  const out: Piece[] = [];
  let code = '';
  let i = 0;
  const flush = (): void => {
    if (code) out.push({ code: true, text: code });
    code = '';
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // Both quotes are doubled to escape themselves; a backslash is an ordinary character.
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k < 0) {
          j = sql.length;
          break;
        }
        if (sql[k + 1] === c) j = k + 2;
        else {
          j = k + 1;
          break;
        }
      }
      flush();
      out.push({ code: false, text: sql.slice(i, j) });
      i = j;
    } else if (c === '-' && sql[i + 1] === '-') {
      const k = sql.indexOf('\n', i);
      const j = k < 0 ? sql.length : k;
      flush();
      out.push({ code: false, text: sql.slice(i, j) });
      i = j;
    } else if (c === '/' && sql[i + 1] === '*') {
      const k = sql.indexOf('*/', i + 2);
      const j = k < 0 ? sql.length : k + 2;
      flush();
      out.push({ code: false, text: sql.slice(i, j) });
      i = j;
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return out;
}

const KEYWORDS = new Set([
  'where',
  'on',
  'join',
  'left',
  'right',
  'inner',
  'cross',
  'group',
  'order',
  'limit',
  'union',
  'and',
  'or',
  'having',
]);

/** `json_each(arg)` with balanced parentheses → PostgreSQL's element set, named like SQLite's. */
function translateJsonEach(code: string): string {
  const re = /\bjson_each\s*\(/gi;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) {
    let depth = 1;
    let j = m.index + m[0].length;
    while (j < code.length && depth > 0) {
      if (code[j] === '(') depth++;
      else if (code[j] === ')') depth--;
      j++;
    }
    const arg = code.slice(m.index + m[0].length, j - 1);
    const after = /^\s+(?:AS\s+)?([A-Za-z_]\w*)/i.exec(code.slice(j));
    let alias = 'json_each';
    let end = j;
    if (after && !KEYWORDS.has(after[1]!.toLowerCase())) {
      alias = after[1]!;
      end = j + after[0].length;
    }
    out += `${code.slice(last, m.index)}json_array_elements_text((${arg})::json) AS ${alias}(value)`;
    last = end;
    re.lastIndex = end;
  }
  return out + code.slice(last);
}

function translateCode(code: string): string {
  let s = code.replace(/\bLIKE\b/gi, 'ILIKE');
  s = s.replace(/\bAS(\s+)([A-Za-z_][A-Za-z0-9_]*)\b/g, (all, sp: string, name: string) =>
    /[a-z]/.test(name) && /[A-Z]/.test(name) ? `AS${sp}"${name}"` : all,
  );
  s = s.replace(/(\$\d+)(\s+IS\s+(?:NOT\s+)?NULL\b)/gi, '$1::text$2');
  return s;
}

const cache = new Map<string, TranslatedSql>();

/** SQLite-flavoured SQL as PostgreSQL reads it (memoised: repositories prepare the same text often). */
export function toPostgres(sql: string): TranslatedSql {
  const hit = cache.get(sql);
  if (hit) return hit;
  const params: ParamRef[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  const pieces = split(sql).map((p) => {
    if (!p.code) return p.text;
    const numbered = p.text.replace(/\?|@([A-Za-z_]\w*)/g, (_all, name: string | undefined) => {
      if (name === undefined) {
        params.push({ index: positional++ });
        return `$${params.length}`;
      }
      let n = named.get(name);
      if (n === undefined) {
        params.push({ name });
        n = params.length;
        named.set(name, n);
      }
      return `$${n}`;
    });
    return translateCode(numbered);
  });
  // json_each may span pieces only through placeholders, which are code: join and translate once.
  let text = pieces.join('');
  if (/\bjson_each\s*\(/i.test(text)) {
    text = split(text)
      .map((p) => (p.code ? translateJsonEach(p.text) : p.text))
      .join('');
  }
  let returning: string | null = null;
  const insert = /^\s*INSERT\s+INTO\s+([A-Za-z_]\w*)/i.exec(text);
  if (insert && !/\bRETURNING\b/i.test(text)) {
    const key = IDENTITY_KEYS[insert[1]!.toLowerCase()];
    if (key) {
      returning = key;
      text = `${text.replace(/[\s;]+$/, '')} RETURNING ${key}`;
    }
  }
  const out = { text, params, returning };
  if (cache.size > 2000) cache.clear();
  cache.set(sql, out);
  return out;
}

/** The values for a translated statement, from better-sqlite3-style arguments. */
export function bindValues(t: TranslatedSql, args: readonly unknown[]): unknown[] {
  if (t.params.length === 0) return [];
  const named =
    args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !ArrayBuffer.isView(args[0])
      ? (args[0] as Record<string, unknown>)
      : null;
  return t.params.map((p) => {
    if ('name' in p) {
      if (!named || !(p.name in named)) throw new RangeError(`Missing named parameter "${p.name}"`);
      return named[p.name];
    }
    if (p.index >= args.length) throw new RangeError('Too few parameter values were provided');
    return args[p.index];
  });
}
