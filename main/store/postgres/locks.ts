/**
 * The shared store's one write lock (transaction level, `pg_advisory_xact_lock`): taken at the start
 * of every `immediate` transaction, so read-then-write decisions serialise across nodes as SQLite's
 * immediate transactions do across processes, and by the writes whose order must be one across
 * nodes (the audit chain's next link, the index change log). One key for all of them, so no two
 * transactions can ever wait on each other's lock in opposite order. Fixed ("vigilimm" in ASCII),
 * so it never meets another application's lock by chance.
 */
export const STORE_WRITE_LOCK = '8532479046411398509';

/** Takes the write lock for the rest of the current transaction (re-entrant within it). */
export const TAKE_WRITE_LOCK = 'SELECT pg_advisory_xact_lock(CAST(? AS bigint))';
