import type pg from 'pg';
import { VigilError } from '../../errors.js';

/**
 * Which engine node watches which camera. A node registers with its declared capacity (how many
 * cameras it can analyse) and heartbeats; each camera has one lease row naming at most one node.
 * A node whose heartbeat is older than its lease expiry is dead to the cluster: its cameras are
 * free for any live node to take. Times are PostgreSQL's (`now()`), never a node's own clock.
 */

export const DEFAULT_LEASE_EXPIRY_MS = 30_000;

export interface NodeRegistration {
  node: string;
  /** Where the node's console/API is reached (host:port); shown by `vigil nodes list`. */
  address?: string | null;
  /** SHA-256 fingerprint of the certificate its server presents (null without TLS): peers pin it. */
  fingerprint?: string | null;
  /** The most cameras this node takes. */
  capacity: number;
  /** A node not heard from for this long loses its cameras (default 30 s). */
  leaseExpiryMs?: number;
}

export type NodeState = 'alive' | 'expired' | 'left';

export interface NodeStatus {
  node: string;
  address: string | null;
  /** SHA-256 fingerprint of the certificate its server presents; null without TLS. */
  fingerprint: string | null;
  /** The cameras whose lease names this node (an expired node's are free to take). */
  cameras: string[];
  last_heartbeat: string;
  state: NodeState;
  capacity: number;
}

export interface LeaseChange {
  /** Every camera this node holds after the call. */
  held: string[];
  taken: string[];
  released: string[];
}

type Querier = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function checkName(node: string): void {
  if (!NODE_NAME.test(node))
    throw new VigilError(
      'INVALID_ARGUMENT',
      `The node name "${node.slice(0, 80)}" is not usable: use 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
}

/** Joins (or rejoins) the cluster and counts as a heartbeat; a node that had left comes back. */
export async function registerNode(db: Querier, reg: NodeRegistration): Promise<void> {
  checkName(reg.node);
  if (!Number.isSafeInteger(reg.capacity) || reg.capacity < 0)
    throw new VigilError('INVALID_ARGUMENT', "A node's camera capacity must be a whole number of 0 or more.");
  const expiry = reg.leaseExpiryMs ?? DEFAULT_LEASE_EXPIRY_MS;
  if (!Number.isSafeInteger(expiry) || expiry < 1)
    throw new VigilError('INVALID_ARGUMENT', 'The lease expiry must be a positive number of milliseconds.');
  await db.query(
    `INSERT INTO nodes (node, address, capacity, lease_expiry_ms, started_at, last_heartbeat, expires_at, cert_fingerprint)
     VALUES ($1, $2, $3, $4::integer, now(), now(), now() + $4::integer * interval '1 millisecond', $5)
     ON CONFLICT (node) DO UPDATE SET address = excluded.address, capacity = excluded.capacity,
       cert_fingerprint = excluded.cert_fingerprint,
       lease_expiry_ms = excluded.lease_expiry_ms, started_at = now(), last_heartbeat = now(),
       expires_at = excluded.expires_at, left_at = NULL`,
    [reg.node, reg.address ?? null, reg.capacity, expiry, reg.fingerprint ?? null],
  );
}

/**
 * Keeps the node's leases alive. False when the node had already expired or left: it must stop
 * its cameras (another node may be watching them now) and register again.
 */
export async function heartbeat(db: Querier, node: string): Promise<boolean> {
  const r = await db.query(
    `UPDATE nodes SET last_heartbeat = now(), expires_at = now() + lease_expiry_ms * interval '1 millisecond'
     WHERE node = $1 AND left_at IS NULL AND expires_at > now()`,
    [node],
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * Takes free cameras (never leased, released, or held by an expired node) up to this node's fair
 * share, and gives back what is beyond it so a node that joins later gets work. The share is the
 * node's part of the cluster's live capacity: with 6 cameras, capacities 4 and 2 hold 4 and 2.
 * Rows are claimed with FOR UPDATE SKIP LOCKED, so nodes balancing at the same moment never take
 * the same camera and never wait on each other.
 */
export async function takeLeases(pool: pg.Pool, node: string): Promise<LeaseChange> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const me = await client.query<{ capacity: number; alive: boolean }>(
        'SELECT capacity, (left_at IS NULL AND expires_at > now()) AS alive FROM nodes WHERE node = $1',
        [node],
      );
      const self = me.rows[0];
      if (!self?.alive)
        throw new VigilError(
          'CONFLICT',
          `The node "${node}" is not registered or has expired: register it again.`,
        );
      // Every camera gets its lease row the first time anyone looks; ON CONFLICT keeps existing ones.
      await client.query(
        'INSERT INTO camera_leases (camera_id) SELECT camera_id FROM cameras ON CONFLICT (camera_id) DO NOTHING',
      );
      const totals = await client.query<{ cameras: number; capacity: number }>(
        `SELECT (SELECT count(*)::bigint FROM camera_leases) AS cameras,
                (SELECT COALESCE(sum(capacity), 0)::bigint FROM nodes WHERE left_at IS NULL AND expires_at > now()) AS capacity`,
      );
      const { cameras, capacity } = totals.rows[0] ?? { cameras: 0, capacity: 0 };
      const share =
        capacity > 0 ? Math.min(self.capacity, Math.ceil((cameras * self.capacity) / capacity)) : 0;
      const held = (
        await client.query<{ camera_id: string }>(
          'SELECT camera_id FROM camera_leases WHERE node = $1 ORDER BY camera_id FOR UPDATE',
          [node],
        )
      ).rows.map((r) => r.camera_id);
      let released: string[] = [];
      let taken: string[] = [];
      if (held.length > share) {
        released = held.slice(share);
        await client.query(
          'UPDATE camera_leases SET node = NULL, acquired_at = NULL WHERE camera_id = ANY($1)',
          [released],
        );
      } else if (held.length < share) {
        const free = await client.query<{ camera_id: string }>(
          `SELECT l.camera_id FROM camera_leases l LEFT JOIN nodes n ON n.node = l.node
           WHERE l.node IS NULL OR n.left_at IS NOT NULL OR n.expires_at <= now()
           ORDER BY l.camera_id
           LIMIT $1
           FOR UPDATE OF l SKIP LOCKED`,
          [share - held.length],
        );
        taken = free.rows.map((r) => r.camera_id);
        if (taken.length > 0)
          await client.query(
            'UPDATE camera_leases SET node = $1, acquired_at = now() WHERE camera_id = ANY($2)',
            [node, taken],
          );
      }
      await client.query('COMMIT');
      const now = [...held.filter((c) => !released.includes(c)), ...taken].sort();
      return { held: now, taken, released };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  } finally {
    client.release();
  }
}

/** A clean stop: the node's cameras are free at once instead of after the expiry. */
export async function leaveCluster(db: Querier, node: string): Promise<void> {
  await db.query('UPDATE camera_leases SET node = NULL, acquired_at = NULL WHERE node = $1', [node]);
  await db.query('UPDATE nodes SET left_at = now() WHERE node = $1', [node]);
}

/** Every node the cluster has known, with its state and the cameras its lease rows name. */
export async function listNodes(db: Querier): Promise<NodeStatus[]> {
  const r = await db.query<{
    node: string;
    address: string | null;
    cert_fingerprint: string | null;
    capacity: number;
    last_heartbeat: Date;
    state: NodeState;
    cameras: string[] | null;
  }>(
    `SELECT n.node, n.address, n.cert_fingerprint, n.capacity, n.last_heartbeat,
            CASE WHEN n.left_at IS NOT NULL THEN 'left' WHEN n.expires_at > now() THEN 'alive' ELSE 'expired' END AS state,
            array_agg(l.camera_id ORDER BY l.camera_id) FILTER (WHERE l.camera_id IS NOT NULL) AS cameras
     FROM nodes n LEFT JOIN camera_leases l ON l.node = n.node
     GROUP BY n.node ORDER BY n.node`,
  );
  return r.rows.map((row) => ({
    node: row.node,
    address: row.address,
    fingerprint: row.cert_fingerprint,
    cameras: row.cameras ?? [],
    last_heartbeat: row.last_heartbeat.toISOString(),
    state: row.state,
    capacity: row.capacity,
  }));
}

export interface CameraLease {
  camera_id: string;
  name: string;
  /** The node whose lease names the camera; null while no node has taken it. */
  node: string | null;
  node_state: NodeState | null;
}

/** Every camera of the shared store and the node that holds it (`vigil cameras status --store`). */
export async function listCameraLeases(db: Querier): Promise<CameraLease[]> {
  const r = await db.query<CameraLease>(
    `SELECT c.camera_id, c.name, l.node,
            CASE WHEN n.node IS NULL THEN NULL WHEN n.left_at IS NOT NULL THEN 'left'
                 WHEN n.expires_at > now() THEN 'alive' ELSE 'expired' END AS node_state
     FROM cameras c LEFT JOIN camera_leases l ON l.camera_id = c.camera_id LEFT JOIN nodes n ON n.node = l.node
     ORDER BY c.camera_id`,
  );
  return r.rows;
}
