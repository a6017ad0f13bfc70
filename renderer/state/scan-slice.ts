// The scan station: scans go to the desk one after another in the order they were made (a
// scanner can fire the next barcode before the last answer is back), each answer becomes the
// banner and tops the list of recent scans; the latest can be undone.
import type { CheckinAnswer, DeskError, DeskEvents } from '../../shared/api/index.js';
import type { SliceCreator } from './store.js';

export type Banner =
  | { readonly kind: 'answer'; readonly seq: number; readonly answer: CheckinAnswer }
  | { readonly kind: 'undone'; readonly seq: number; readonly answer: CheckinAnswer }
  | {
      readonly kind: 'error';
      readonly seq: number;
      readonly barcode: string;
      readonly error: DeskError;
    };

export type CaptureLost = DeskEvents['holds.captureLost'];

export interface ScanSlice {
  /** The last answer, shown large; `seq` grows with every banner (sounds key on it). */
  banner: Banner | null;
  recent: readonly CheckinAnswer[];
  /** Scans sent and not answered yet. */
  inFlight: number;
  /** Holds this desk lost to an earlier capture elsewhere, until staff acknowledge them. */
  captureLost: readonly CaptureLost[];
  scan: (barcode: string) => Promise<void>;
  undo: (checkinId: string) => Promise<void>;
  refreshRecent: () => Promise<void>;
  acknowledgeCaptureLost: (holdId: string) => void;
  clearScans: () => void;
}

const RECENT_LIMIT = 20;

export const createScanSlice: SliceCreator<ScanSlice> = (client, set, get) => {
  let queue: Promise<void> = Promise.resolve();
  let seq = 0;

  async function sendScan(barcode: string): Promise<void> {
    const answer = await client.checkin.scan({ barcode });
    seq += 1;
    if (!answer.ok) {
      set({ banner: { kind: 'error', seq, barcode, error: answer.error } });
      return;
    }
    set((state) => ({
      banner: { kind: 'answer', seq, answer: answer.value },
      recent: [
        answer.value,
        ...state.recent.filter((entry) => entry.checkinId !== answer.value.checkinId),
      ].slice(0, RECENT_LIMIT),
    }));
  }

  return {
    banner: null,
    recent: [],
    inFlight: 0,
    captureLost: [],
    scan(barcode) {
      set((state) => ({ inFlight: state.inFlight + 1 }));
      queue = queue
        .then(() => sendScan(barcode))
        .finally(() => set((state) => ({ inFlight: state.inFlight - 1 })));
      return queue;
    },
    async undo(checkinId) {
      const answer = await client.checkin.undo({ checkinId });
      seq += 1;
      if (!answer.ok) {
        const barcode = get().recent.find((entry) => entry.checkinId === checkinId)?.barcode;
        set({ banner: { kind: 'error', seq, barcode: barcode ?? '', error: answer.error } });
        return;
      }
      set((state) => ({
        banner: { kind: 'undone', seq, answer: answer.value },
        recent: state.recent.map((entry) => (entry.checkinId === checkinId ? answer.value : entry)),
      }));
    },
    async refreshRecent() {
      if (!get().status?.staff) return;
      const answer = await client.checkin.recent({ limit: RECENT_LIMIT });
      if (answer.ok) set({ recent: answer.value });
    },
    acknowledgeCaptureLost(holdId) {
      set((state) => ({ captureLost: state.captureLost.filter((lost) => lost.holdId !== holdId) }));
    },
    clearScans() {
      set({ banner: null, recent: [] });
    },
  };
};
