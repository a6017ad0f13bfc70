// Member libraries: added and changed by the consortium's administrator only (desks may not
// write them), and sent to every desk, which routes by their prefixes and floating rules.
import { createDocumentValidator, librariesSchema, type Library } from '../../shared/index.js';
import { HttpError } from '../sync/sync-routes.js';
import { readLibraries, writeAsServer, type AdminDeps } from './server-data.js';

/** A library as the administrator describes it: the document without its stamp. */
export type LibraryInput = Omit<Library, 'updatedAt' | 'deskId'>;
/** What `library add` needs at least; the rest has the defaults below. */
export type NewLibrary = Pick<LibraryInput, 'code' | 'name' | 'timeZone'> & Partial<LibraryInput>;

/**
 * Defaults for what a new member rarely knows on day one. No check digit and any length:
 * a wrong barcode rule sets real items aside at every scan, a missing one only lets a
 * mistyped barcode through to "unknown barcode".
 */
const DEFAULTS = {
  barcodePrefixes: [],
  floatingRules: { libraries: [], callNumberPrefixes: [] },
  barcodeRule: { lengths: [], checkDigit: 'none' },
  localPickupFirst: true,
  crateCapacity: 40,
  holdShelfDays: 7,
} as const satisfies Partial<LibraryInput>;

const inputProperties = (({ updatedAt: _at, deskId: _by, ...rest }) => rest)(
  librariesSchema.properties,
);

/**
 * The request body of `POST /v1/admin/libraries`: the fields of the shared libraries schema
 * (one source for their limits), without the stamp the server sets itself.
 */
export const newLibraryBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'name', 'timeZone'],
  properties: inputProperties,
} as const;

/** `PATCH /v1/admin/libraries/:code`: any of the fields but the code. */
export const libraryChangeBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: (({ code: _code, ...rest }) => rest)(inputProperties),
} as const;

const validLibrary = createDocumentValidator('libraries');

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Refuses a library that cannot be routed by: unknown zone, prefixes another member has. */
function check(library: Library, others: readonly Library[]): void {
  if (!isTimeZone(library.timeZone)) {
    throw new HttpError(400, 'invalid_time_zone', `Not an IANA time zone: ${library.timeZone}.`);
  }
  for (const other of others) {
    const shared = library.barcodePrefixes.filter((prefix) =>
      other.barcodePrefixes.some(
        (theirs) => theirs.startsWith(prefix) || prefix.startsWith(theirs),
      ),
    );
    if (shared.length > 0) {
      // Overlapping prefixes would make the owner of a barcode depend on which one is tried first.
      throw new HttpError(
        409,
        'prefix_taken',
        `Barcode prefix ${shared.join(', ')} overlaps ${other.code}'s prefixes.`,
      );
    }
  }
  if (!validLibrary(library)) {
    const first = validLibrary.errors?.[0];
    throw new HttpError(
      400,
      'invalid_library',
      `The library is not valid: ${first?.instancePath || '/'} ${first?.message ?? ''}.`,
    );
  }
}

export async function listLibraries(deps: AdminDeps): Promise<Library[]> {
  return [...(await readLibraries(deps)).values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** Adds a member library. `library_exists`, `prefix_taken`, `invalid_time_zone`. */
export async function addLibrary(deps: AdminDeps, input: NewLibrary): Promise<Library> {
  const current = await readLibraries(deps);
  if (current.has(input.code)) {
    throw new HttpError(409, 'library_exists', `There is a library ${input.code} already.`);
  }
  const library: Library = {
    ...DEFAULTS,
    ...input,
    updatedAt: deps.now().toISOString(),
    deskId: 'server',
  };
  check(library, [...current.values()]);
  await writeAsServer(deps, 'libraries', [library], current);
  return (await readLibraries(deps)).get(library.code) ?? library;
}

/**
 * Changes some fields of a member library; changing nothing writes nothing.
 * `unknown_library`, `prefix_taken`, `invalid_time_zone`.
 */
export async function changeLibrary(
  deps: AdminDeps,
  code: string,
  change: Partial<Omit<LibraryInput, 'code'>>,
): Promise<{ library: Library; changed: boolean }> {
  const current = await readLibraries(deps);
  const before = current.get(code);
  if (!before) throw new HttpError(404, 'unknown_library', `There is no library ${code}.`);
  const library: Library = { ...before, ...change, code };
  check(
    library,
    [...current.values()].filter((other) => other.code !== code),
  );
  const written = await writeAsServer(deps, 'libraries', [library], current);
  if (written === 0) return { library: before, changed: false };
  return { library: (await readLibraries(deps)).get(code) ?? library, changed: true };
}
