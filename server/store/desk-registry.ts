// Enrolled desks and enrolment codes: in the server's SQLite file (here) or in PostgreSQL
// (pg-desk-registry.ts), behind one asynchronous interface. A desk token is shown once
// (at enrolment) and stored only as its SHA-256 digest: tokens are 256 random bits, so a fast
// hash is enough to make a stolen table useless, and lookup by digest stays an index read.
// Enrolment codes are one-time, expire, and are stored hashed too.
import Database from 'better-sqlite3';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { ulid } from 'ulid';

export type DeskRole = 'desk' | 'editor';

export interface EnrolledDesk {
  readonly deskId: string;
  readonly library: string;
  readonly role: DeskRole;
  readonly name: string;
  readonly revoked: boolean;
}

export interface DeskRegistry {
  /** A one-time enrolment code for a desk of `library`, valid for `ttlMs`. */
  createEnrolmentCode(library: string, role: DeskRole, ttlMs: number): Promise<string>;
  /** Uses up a code: the new desk's id, token (shown only now) and library; null if refused. */
  enrol(code: string, deskName: string): Promise<EnrolledToken | null>;
  /** The desk a token belongs to (revoked desks included, so callers can say so), or null. */
  authenticate(token: string): Promise<EnrolledDesk | null>;
  /** Whether a desk of that id was found (revoking twice finds it twice). */
  revoke(deskId: string): Promise<boolean>;
  /** Every desk, oldest enrolment first. */
  list(): Promise<EnrolledDesk[]>;
  close(): Promise<void>;
}

export interface EnrolledToken {
  readonly deskId: string;
  readonly token: string;
  readonly library: string;
}

export const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
/** Crockford base32 without I, L, O, U: codes are read aloud and typed at a desk. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** Codes are typed by people: case, spaces and dashes do not matter. */
export function normaliseCode(code: string): string {
  const bare = code.toUpperCase().replace(/[\s-]/g, '');
  return bare.length === 10 ? `${bare.slice(0, 5)}-${bare.slice(5)}` : bare;
}

export function openDeskRegistry(path: string, now: () => number = Date.now): DeskRegistry {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS desks (
      desk_id TEXT PRIMARY KEY, library TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,
      token_digest TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0, enrolled_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS enrolment_codes (
      code_digest TEXT PRIMARY KEY, library TEXT NOT NULL, role TEXT NOT NULL,
      expires_at INTEGER NOT NULL, used_at INTEGER);
  `);
  const insertCode = db.prepare(
    'INSERT INTO enrolment_codes (code_digest, library, role, expires_at) VALUES (?, ?, ?, ?)',
  );
  const findCode = db.prepare(
    'SELECT library, role, expires_at AS expiresAt, used_at AS usedAt FROM enrolment_codes WHERE code_digest = ?',
  );
  const useCode = db.prepare(
    'UPDATE enrolment_codes SET used_at = ? WHERE code_digest = ? AND used_at IS NULL',
  );
  const insertDesk = db.prepare(
    'INSERT INTO desks (desk_id, library, role, name, token_digest, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const byToken = db.prepare(
    'SELECT desk_id AS deskId, library, role, name, revoked FROM desks WHERE token_digest = ?',
  );
  const revoke = db.prepare('UPDATE desks SET revoked = 1 WHERE desk_id = ?');
  const list = db.prepare(
    'SELECT desk_id AS deskId, library, role, name, revoked FROM desks ORDER BY enrolled_at',
  );
  type Row = { deskId: string; library: string; role: DeskRole; name: string; revoked: number };
  const toDesk = (row: Row): EnrolledDesk => ({ ...row, revoked: row.revoked === 1 });

  const enrol = db.transaction((code: string, deskName: string) => {
    const key = digest(normaliseCode(code));
    const found = findCode.get(key) as
      { library: string; role: DeskRole; expiresAt: number; usedAt: number | null } | undefined;
    if (!found || found.usedAt !== null || found.expiresAt < now()) return null;
    if (useCode.run(now(), key).changes !== 1) return null;
    const deskId = ulid();
    const token = randomBytes(32).toString('base64url');
    insertDesk.run(deskId, found.library, found.role, deskName, digest(token), now());
    return { deskId, token, library: found.library };
  });

  // SQLite answers at once; the promises are the interface PostgreSQL needs.
  return {
    createEnrolmentCode(library, role, ttlMs) {
      const code = newCode();
      insertCode.run(digest(code), library, role, now() + ttlMs);
      return Promise.resolve(code);
    },
    enrol: (code, deskName) => Promise.resolve(enrol.immediate(code, deskName)),
    authenticate(token) {
      const row = byToken.get(digest(token)) as Row | undefined;
      return Promise.resolve(row ? toDesk(row) : null);
    },
    revoke: (deskId) => Promise.resolve(revoke.run(deskId).changes === 1),
    list: () => Promise.resolve((list.all() as Row[]).map(toDesk)),
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
