// Setting a desk up without a consortium server: the demo consortium (trying Carrel out,
// training) or one standalone library. Both write only local data and the desk's settings;
// a desk enrolled with a server refuses both, so demo rows never mix into a real consortium.
import {
  fail,
  ok,
  type DeskCollectionName,
  type DeskDocuments,
  type DeskResult,
  type DeskStatus,
  type Library,
  type LibraryRef,
} from '../../shared/index.js';
import type { DeskContext } from '../context.js';
import { deskStatus } from '../staff/index.js';
import { demoConsortium, demoLibraryCodes } from './demo-consortium.js';

const ENROLLED =
  'This desk belongs to a consortium server; its data comes from there. Use a new desk profile to try the demo.';

export function libraryRef(library: Library): LibraryRef {
  return {
    code: library.code,
    name: library.name,
    ...(library.courierStop === undefined ? {} : { courierStop: library.courierStop }),
  };
}

/** Every library this desk knows, by code. */
export async function knownLibraries(ctx: DeskContext): Promise<DeskResult<LibraryRef[]>> {
  const libraries = [...(await ctx.libraries()).values()];
  return ok(libraries.map(libraryRef).sort((a, b) => (a.code < b.code ? -1 : 1)));
}

/** Inserts the documents this desk does not hold yet; ones it holds stay as they are. */
async function insertMissing<Name extends DeskCollectionName>(
  ctx: DeskContext,
  name: Name,
  docs: readonly DeskDocuments[Name][],
  key: (doc: DeskDocuments[Name]) => string,
): Promise<void> {
  const held = await ctx.store.data.getMany(name, docs.map(key));
  const missing = docs.filter((doc) => !held.has(key(doc)));
  if (missing.length > 0) await ctx.store.data.insert(name, missing);
}

export async function loadDemo(
  ctx: DeskContext,
  args: { libraryCode?: string },
): Promise<DeskResult<DeskStatus>> {
  if (ctx.settings().sync) return fail('desk_enrolled', ENROLLED);
  const code = args.libraryCode ?? demoLibraryCodes[0]!;
  if (!demoLibraryCodes.includes(code)) {
    return fail(
      'library_unknown',
      `The demo has no library ${code}: ${demoLibraryCodes.join(', ')}.`,
    );
  }
  const demo = demoConsortium(ctx.now());
  await ctx.store.atomically(async () => {
    await insertMissing(ctx, 'libraries', demo.libraries, (doc) => doc.code);
    await insertMissing(ctx, 'items', demo.items, (doc) => doc.barcode);
    await insertMissing(ctx, 'holds', demo.holds, (doc) => doc.id);
    await insertMissing(ctx, 'notes', demo.notes, (doc) => doc.id);
  });
  ctx.updateSettings((settings) => ({ ...settings, libraryCode: code }));
  return deskStatus(ctx);
}

export async function setUpStandalone(
  ctx: DeskContext,
  args: { libraryCode: string; libraryName: string },
): Promise<DeskResult<DeskStatus>> {
  if (ctx.settings().sync) return fail('desk_enrolled', ENROLLED);
  const code = args.libraryCode.toUpperCase();
  const existing = await ctx.store.data.get('libraries', code);
  const now = ctx.now().toISOString();
  const library: Library = {
    code,
    name: args.libraryName.trim(),
    barcodePrefixes: [],
    barcodeRule: { lengths: [], checkDigit: 'none' },
    localPickupFirst: true,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    crateCapacity: 40,
    floatingRules: { libraries: [], callNumberPrefixes: [] },
    holdShelfDays: 7,
    updatedAt: now,
    deskId: ctx.settings().deskId,
  };
  if (existing) {
    await ctx.store.data.update('libraries', existing, {
      name: library.name,
      updatedAt: now,
      deskId: library.deskId,
    });
  } else {
    await ctx.store.data.insert('libraries', [library]);
  }
  ctx.updateSettings((settings) => ({ ...settings, libraryCode: code }));
  return deskStatus(ctx);
}
