// Enrolled desks and enrolment codes in PostgreSQL, shared by every server instance on the
// database: a desk enrolled through one instance is known to all, a revocation holds on all
// from its commit. Same rules as the SQLite registry (desk-registry.ts): tokens and codes are
// stored only as SHA-256 digests, codes are one-time and expire.
//
// Every desk request is authenticated (each push and each pull: hundreds a second at a busy
// consortium, the most frequent query the server made), so token lookups are batched, not
// cached: a lookup goes out with the others asked while the previous query was out, in a
// query that starts after it was asked. So it sees every revocation committed before it was
// asked, through any instance: a revocation holds from its commit, as with one query per
// lookup. (A cache would let a revoked desk on for as long as an entry lives, or need a
// round trip to each instance per revocation before the revoke could answer.)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ulid } from 'ulid';
import {
  digest,
  newCode,
  normaliseCode,
  type DeskRegistry,
  type DeskRole,
  type EnrolledDesk,
} from './desk-registry.js';

/** Advisory lock key serialising table creation when instances start together. */
const LAYOUT_LOCK = 0x4465736b; // "Desk"

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS desks (
    desk_id text PRIMARY KEY, library text NOT NULL, role text NOT NULL, name text NOT NULL,
    token_digest text NOT NULL UNIQUE, revoked boolean NOT NULL DEFAULT false,
    enrolled_at bigint NOT NULL);
  CREATE TABLE IF NOT EXISTS enrolment_codes (
    code_digest text PRIMARY KEY, library text NOT NULL, role text NOT NULL,
    expires_at bigint NOT NULL, used_at bigint);
`;

const DESK_COLUMNS = 'desk_id AS "deskId", library, role, name, revoked';

/**
 * Token lookups in flight at once. More lookups wait for one of these to end and then go
 * out together in one query: under load a handful of queries a round trip, whatever the
 * request rate, instead of one query (and one pooled connection) per request.
 */
const LOOKUPS_IN_FLIGHT = 1;

/** Opens the registry on a PostgreSQL database (`postgres://` URL), creating its tables. */
export async function openPgDeskRegistry(
  url: string,
  now: () => number = Date.now,
): Promise<DeskRegistry> {
  const pool = new pg.Pool({ connectionString: url, max: LOOKUPS_IN_FLIGHT + 2 });
  pool.on('error', () => undefined); // a broken idle connection is dropped, not fatal
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LAYOUT_LOCK]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }

  const lookups = batchedLookups(async (digests) => {
    const { rows } = await pool.query<EnrolledDesk & { digest: string }>({
      // Named: parsed and planned once per connection.
      name: 'carrel_desks_by_token',
      text: `SELECT token_digest AS digest, ${DESK_COLUMNS} FROM desks WHERE token_digest = ANY($1)`,
      values: [digests],
    });
    return new Map(rows.map(({ digest, ...desk }) => [digest, desk]));
  });

  return {
    async createEnrolmentCode(library, role, ttlMs) {
      const code = newCode();
      await pool.query(
        'INSERT INTO enrolment_codes (code_digest, library, role, expires_at) VALUES ($1, $2, $3, $4)',
        [digest(code), library, role, now() + ttlMs],
      );
      return code;
    },

    async enrol(code, deskName) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // One statement checks and uses the code: two instances enrolling with the same
        // code at once cannot both succeed (the second sees used_at set, or waits for it).
        const used = await client.query<{ library: string; role: DeskRole }>(
          `UPDATE enrolment_codes SET used_at = $2
           WHERE code_digest = $1 AND used_at IS NULL AND expires_at >= $2
           RETURNING library, role`,
          [digest(normaliseCode(code)), now()],
        );
        const found = used.rows[0];
        if (found === undefined) {
          await client.query('ROLLBACK');
          return null;
        }
        const deskId = ulid();
        const token = randomBytes(32).toString('base64url');
        await client.query(
          `INSERT INTO desks (desk_id, library, role, name, token_digest, enrolled_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [deskId, found.library, found.role, deskName, digest(token), now()],
        );
        await client.query('COMMIT');
        return { deskId, token, library: found.library };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    async authenticate(token) {
      return (await lookups(digest(token))) ?? null;
    },

    async revoke(deskId) {
      const result = await pool.query('UPDATE desks SET revoked = true WHERE desk_id = $1', [
        deskId,
      ]);
      return result.rowCount === 1;
    },

    async list() {
      const { rows } = await pool.query<EnrolledDesk>(
        `SELECT ${DESK_COLUMNS} FROM desks ORDER BY enrolled_at, desk_id`,
      );
      return rows;
    },

    close: () => pool.end(),
  };
}

/**
 * Lookups by key through `query`, which answers many keys at once: a lookup asked while
 * LOOKUPS_IN_FLIGHT queries are out waits for one to end and goes out with every lookup
 * asked meanwhile. A lookup never joins a query already sent, so it sees what was committed
 * before it was asked.
 */
function batchedLookups<T>(
  query: (keys: string[]) => Promise<Map<string, T>>,
): (key: string) => Promise<T | undefined> {
  type Waiter = { resolve: (value: T | undefined) => void; reject: (error: unknown) => void };
  let waiting = new Map<string, Waiter[]>();
  let inFlight = 0;
  const send = async (): Promise<void> => {
    if (inFlight >= LOOKUPS_IN_FLIGHT || waiting.size === 0) return;
    const batch = waiting;
    waiting = new Map();
    inFlight += 1;
    try {
      const found = await query([...batch.keys()]);
      for (const [key, waiters] of batch) {
        for (const waiter of waiters) waiter.resolve(found.get(key));
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    } finally {
      inFlight -= 1;
      void send();
    }
  };
  return (key) =>
    new Promise((resolve, reject) => {
      const waiters = waiting.get(key);
      if (waiters === undefined) waiting.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      void send();
    });
}
