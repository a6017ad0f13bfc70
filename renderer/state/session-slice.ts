// Who and where the desk is: its status (library, staff), the libraries it knows, the screen
// shown. Staff sign in and out here.
import type { DeskError, DeskStatus, LibraryRef } from '../../shared/api/index.js';
import type { SliceCreator } from './store.js';

export const screens = ['scan', 'crates', 'holds', 'notes', 'reports', 'desk'] as const;
export type Screen = (typeof screens)[number];

export interface SessionSlice {
  status: DeskStatus | null;
  /** Set when the desk could not be read at all (the page then says so and nothing else). */
  statusError: DeskError | null;
  libraries: readonly LibraryRef[];
  screen: Screen;
  go: (screen: Screen) => void;
  refreshStatus: () => Promise<void>;
  refreshLibraries: () => Promise<void>;
  /** Answers the error to show, or null once signed in. */
  signIn: (initials: string, pin?: string) => Promise<DeskError | null>;
  signOut: () => Promise<void>;
  /** After first-run setup: the desk answered its new status. */
  setStatus: (status: DeskStatus) => void;
}

export const createSessionSlice: SliceCreator<SessionSlice> = (client, set, get) => ({
  status: null,
  statusError: null,
  libraries: [],
  screen: 'scan',
  go: (screen) => set({ screen }),
  async refreshStatus() {
    const answer = await client.desk.status({});
    if (answer.ok) set({ status: answer.value, statusError: null });
    else set({ statusError: answer.error });
    if (answer.ok && answer.value.library) await get().refreshLibraries();
  },
  async refreshLibraries() {
    const answer = await client.desk.libraries({});
    if (answer.ok) set({ libraries: answer.value });
  },
  async signIn(initials, pin) {
    const answer = await client.staff.signIn(pin ? { initials, pin } : { initials });
    if (!answer.ok) return answer.error;
    await get().refreshStatus();
    void get().refreshRecent();
    return null;
  },
  async signOut() {
    await client.staff.signOut({});
    set({ screen: 'scan' });
    get().clearScans();
    await get().refreshStatus();
  },
  setStatus(status) {
    set({ status, statusError: null });
    void get().refreshLibraries();
  },
});
