// Enrolled desks and enrolment codes in PostgreSQL, shared by every server instance on the
// database: a desk enrolled through one instance is known to all, a revocation holds on all
// from its commit. Same rules as the SQLite registry (desk-registry.ts): tokens and codes are
// stored only as SHA-256 digests, codes are one-time and expire.
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

/** Opens the registry on a PostgreSQL database (`postgres://` URL), creating its tables. */
export async function openPgDeskRegistry(
  url: string,
  now: () => number = Date.now,
): Promise<DeskRegistry> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
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
      const { rows } = await pool.query<EnrolledDesk>(
        `SELECT ${DESK_COLUMNS} FROM desks WHERE token_digest = $1`,
        [digest(token)],
      );
      return rows[0] ?? null;
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
