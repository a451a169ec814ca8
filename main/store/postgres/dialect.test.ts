import { describe, expect, it } from 'vitest';
import { bindValues, toPostgres } from './dialect.js';

describe('SQLite statements as PostgreSQL reads them', () => {
  it('numbers placeholders, leaving question marks in strings, quoted names and comments alone', () => {
    const t = toPostgres(
      `SELECT '?' AS q, "odd?name" FROM t -- is it ?
       WHERE a = ? AND b = 'it''s ?' /* ? */ AND c IN (?, ?)`,
    );
    expect(t.text).toBe(
      `SELECT '?' AS q, "odd?name" FROM t -- is it ?
       WHERE a = $1 AND b = 'it''s ?' /* ? */ AND c IN ($2, $3)`,
    );
    expect(bindValues(t, ['x', 1, 2])).toEqual(['x', 1, 2]);
  });

  it('gives each named parameter one number however often it is used', () => {
    const t = toPostgres('SELECT * FROM m WHERE name LIKE @q OR email LIKE @q LIMIT @limit OFFSET @offset');
    expect(t.text).toBe('SELECT * FROM m WHERE name ILIKE $1 OR email ILIKE $1 LIMIT $2 OFFSET $3');
    expect(bindValues(t, [{ q: '%a%', limit: 10, offset: 0 }])).toEqual(['%a%', 10, 0]);
    expect(() => bindValues(t, [{ q: 'x' }])).toThrow(/Missing named parameter "limit"/);
    expect(() => bindValues(toPostgres('SELECT ?'), [])).toThrow(/Too few parameter values/);
    // An e-mail address in a string is not a parameter.
    expect(toPostgres("SELECT 1 WHERE email = 'a@b.c'").params).toEqual([]);
  });

  it('quotes mixed-case aliases only outside strings, and never type names', () => {
    expect(
      toPostgres(
        "SELECT person_id AS personId, 'x AS fooBar' AS s, CAST(? AS INTEGER), is_centroid AS isCentroid FROM e",
      ).text,
    ).toBe(
      `SELECT person_id AS "personId", 'x AS fooBar' AS s, CAST($1 AS INTEGER), is_centroid AS "isCentroid" FROM e`,
    );
    // Already quoted: left as is.
    expect(toPostgres('SELECT a AS "personId" FROM t').text).toBe('SELECT a AS "personId" FROM t');
  });

  it('makes LIKE case-insensitive as in SQLite, not inside strings', () => {
    expect(toPostgres("SELECT 1 WHERE key NOT LIKE 'meta.%' AND note = 'LIKE this'").text).toBe(
      "SELECT 1 WHERE key NOT ILIKE 'meta.%' AND note = 'LIKE this'",
    );
    // An escape backslash is one plain character in standard SQL strings: the string still ends.
    expect(toPostgres("SELECT 1 WHERE a LIKE ? ESCAPE '\\' AND b = ?").text).toBe(
      "SELECT 1 WHERE a ILIKE $1 ESCAPE '\\' AND b = $2",
    );
  });

  it('reads a JSON array bound as a parameter the way json_each does, with or without an alias', () => {
    expect(toPostgres('SELECT 1 FROM a WHERE person_id IN (SELECT value FROM json_each(?))').text).toBe(
      'SELECT 1 FROM a WHERE person_id IN (SELECT value FROM json_array_elements_text(($1)::json) AS json_each(value))',
    );
    expect(
      toPostgres(
        'SELECT 1 WHERE EXISTS (SELECT 1 FROM json_each(u.cameras) c WHERE c.value IN (SELECT value FROM json_each(@cameras)))',
      ).text,
    ).toBe(
      'SELECT 1 WHERE EXISTS (SELECT 1 FROM json_array_elements_text((u.cameras)::json) AS c(value) WHERE c.value IN (SELECT value FROM json_array_elements_text(($1)::json) AS json_each(value)))',
    );
  });

  it('types a bare parameter tested for NULL', () => {
    expect(toPostgres('SELECT 1 WHERE (@cameras IS NULL OR x IN (?)) AND ? IS NOT NULL').text).toBe(
      'SELECT 1 WHERE ($1::text IS NULL OR x IN ($2)) AND $3::text IS NOT NULL',
    );
  });

  it('returns the generated key of an insert into a table with one, and only then', () => {
    expect(toPostgres('INSERT INTO alerts (type) VALUES (?)')).toMatchObject({
      text: 'INSERT INTO alerts (type) VALUES ($1) RETURNING alert_id',
      returning: 'alert_id',
    });
    expect(toPostgres('  insert into embeddings (code) values (?);\n')).toMatchObject({
      text: '  insert into embeddings (code) values ($1) RETURNING embedding_id',
    });
    expect(toPostgres('INSERT INTO members (member_id) VALUES (?)').returning).toBeNull();
    expect(toPostgres('INSERT INTO alerts (type) VALUES (?) RETURNING type').returning).toBeNull();
    expect(
      toPostgres("UPDATE alerts SET notes = 'INSERT INTO alerts' WHERE alert_id = ?").returning,
    ).toBeNull();
  });

  it('leaves an unterminated string or comment as it is rather than translating inside it', () => {
    expect(toPostgres("SELECT ? WHERE a = 'open ? string").text).toBe("SELECT $1 WHERE a = 'open ? string");
    expect(toPostgres('SELECT ? /* never closed ?').text).toBe('SELECT $1 /* never closed ?');
  });
});
