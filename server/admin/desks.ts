// Desks of member libraries: a one-time enrolment code per desk (the desk trades it for its
// token, which the registry keeps only hashed), the list of desks, and revocation. Tokens
// never leave the registry: nothing here can show one.
import type { DeskRegistry, DeskRole, EnrolledDesk } from '../store/desk-registry.js';
import { HttpError } from '../sync/sync-routes.js';
import { readLibraries, type AdminDeps } from './server-data.js';

/** How long an enrolment code lasts: a day, time for it to reach the desk's staff. */
export const ENROLMENT_CODE_TTL_MS = 24 * 3_600_000;

/**
 * A one-time code enrolling one desk of `library`, which must be a member: a desk of an
 * unknown library could sync nothing and route nothing. `unknown_library`.
 */
export async function createEnrolmentCode(
  deps: AdminDeps,
  registry: DeskRegistry,
  library: string,
  role: DeskRole,
): Promise<{ code: string; library: string; role: DeskRole; expiresAt: string }> {
  if (!(await readLibraries(deps)).has(library)) {
    throw new HttpError(404, 'unknown_library', `There is no library ${library}; add it first.`);
  }
  const code = await registry.createEnrolmentCode(library, role, ENROLMENT_CODE_TTL_MS);
  const expiresAt = new Date(deps.now().getTime() + ENROLMENT_CODE_TTL_MS).toISOString();
  return { code, library, role, expiresAt };
}

/** Every enrolled desk, revoked ones included (marked), oldest first; optionally one library's. */
export async function listDesks(registry: DeskRegistry, library?: string): Promise<EnrolledDesk[]> {
  return (await registry.list()).filter(
    (desk) => library === undefined || desk.library === library,
  );
}

/**
 * Revokes a desk: its token is refused from now on (403 `revoked`), and it must enrol again.
 * Revoking a revoked desk changes nothing. `unknown_desk`.
 */
export async function revokeDesk(registry: DeskRegistry, deskId: string): Promise<EnrolledDesk> {
  const desk = (await registry.list()).find((entry) => entry.deskId === deskId);
  if (!desk) throw new HttpError(404, 'unknown_desk', `There is no desk ${deskId}.`);
  await registry.revoke(deskId);
  return { ...desk, revoked: true };
}
