// Staff at the desk sign in with their initials (and a PIN where the library wants one);
// every record after names them. The PIN is set at a staff member's first sign-in at this
// desk and kept only as a scrypt hash in desk.json.
import {
  fail,
  ok,
  type DeskResult,
  type DeskStatus,
  type StaffSession,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';
import { hashPin, pinMatches } from '../store/index.js';

export async function signIn(
  ctx: DeskContext,
  args: { initials: string; pin?: string },
): Promise<DeskResult<StaffSession>> {
  if (!(await deskLibrary(ctx))) {
    return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  }
  const initials = args.initials.toUpperCase();
  const settings = ctx.settings();
  if (settings.requirePin) {
    if (args.pin === undefined) return fail('pin_required', 'This desk asks for your PIN too.');
    const stored = settings.staffPins[initials];
    if (stored === undefined) {
      const pin = args.pin;
      ctx.updateSettings((current) => ({
        ...current,
        staffPins: { ...current.staffPins, [initials]: hashPin(pin) },
      }));
    } else if (!pinMatches(args.pin, stored)) {
      return fail('pin_wrong', 'That PIN does not match. Try again.');
    }
  }
  const session: StaffSession = {
    initials,
    since: ctx.now().toISOString(),
    editor: settings.editors.some((editor) => editor.toUpperCase() === initials),
  };
  ctx.staff.current = session;
  return ok(session);
}

export function signOut(ctx: DeskContext): DeskResult<null> {
  ctx.staff.current = null;
  return ok(null);
}

export async function deskStatus(ctx: DeskContext): Promise<DeskResult<DeskStatus>> {
  const library = await deskLibrary(ctx);
  return ok({
    version: ctx.version,
    library: library
      ? {
          code: library.code,
          name: library.name,
          ...(library.courierStop === undefined ? {} : { courierStop: library.courierStop }),
        }
      : null,
    deskId: ctx.settings().deskId,
    staff: ctx.staff.current,
  });
}
