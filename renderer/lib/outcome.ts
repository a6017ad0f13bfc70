// What a check-in answer means at the desk, in words staff read from two metres: a tone (the
// banner's colour and sound), an icon and a headline, never the colour alone.
import type { CheckinAnswer, DeskError, LibraryRef } from '../../shared/api/index.js';
import type { SetAsideReason } from '../../shared/schemas/checkins.js';

export type Tone =
  'hold' | 'transit' | 'home' | 'float' | 'reshelve' | 'alert' | 'error' | 'undone';

export interface OutcomeView {
  readonly tone: Tone;
  /** A symbol beside the words (hidden from screen readers: the words say it all). */
  readonly icon: string;
  readonly headline: string;
  readonly details: readonly string[];
  /** What staff do now, for items that need a person (set aside, errors). */
  readonly action?: string;
}

const setAsideWords: Record<SetAsideReason, { reason: string; action: string }> = {
  unknown_barcode: {
    reason: 'Barcode not in the catalogue',
    action: 'Check the label; put the item on the problem shelf with a note for cataloguing.',
  },
  lost: {
    reason: 'Item is marked lost',
    action: 'Put it on the problem shelf for the ILS to clear.',
  },
  missing: {
    reason: 'Item is marked missing',
    action: 'Put it on the problem shelf for the ILS to clear.',
  },
  damaged: { reason: 'Item is marked damaged', action: 'Put it aside for repair review.' },
  withdrawn: { reason: 'Item was withdrawn', action: 'Put it aside for discard review.' },
  in_crate: {
    reason: 'Item is already packed in a crate',
    action: 'Find the crate it is in, or remove it from that crate first.',
  },
  recently_sent: {
    reason: 'Item was sent on a moment ago',
    action: 'It is still leaving: leave it in its crate.',
  },
  on_hold_shelf: {
    reason: 'Item is already on the hold shelf',
    action: 'Put it back on the hold shelf.',
  },
  repeat_scan: { reason: 'Same item scanned again', action: 'Nothing to do: it was counted once.' },
};

function libraryName(ref: LibraryRef | undefined): string {
  return ref ? `${ref.name} (${ref.code})` : 'its library';
}

/**
 * `libraries` names a destination the answer gives only by code (stored check-ins, as
 * `checkin.recent` answers them).
 */
export function describeAnswer(
  answer: CheckinAnswer,
  libraries: readonly LibraryRef[] = [],
): OutcomeView {
  const { outcome } = answer;
  const code = outcome.destination;
  const destination =
    answer.destination ??
    libraries.find((library) => library.code === code) ??
    (code === undefined ? undefined : { code, name: code });
  const details: string[] = [];
  if (answer.title) details.push(answer.title);
  if (outcome.transitReceived) details.push('Transit received.');
  const crate = answer.crate
    ? `Crate ${answer.crate.labelBarcode} (${answer.crate.count}/${answer.crate.capacity})`
    : undefined;
  if (answer.voided) {
    return {
      tone: 'undone',
      icon: '↶',
      headline: 'Undone',
      details: [`${answer.barcode} is not checked in.`, ...details],
    };
  }
  switch (outcome.route) {
    case 'hold_here':
      return {
        tone: 'hold',
        icon: '★',
        headline: 'Hold shelf',
        details: [
          ...(answer.holdSlip
            ? [`For ${answer.holdSlip.shelfName}, on the shelf until ${answer.holdSlip.expiresOn}.`]
            : []),
          ...details,
        ],
        action: 'Print the slip and put the item on the hold shelf.',
      };
    case 'hold_transit':
      return {
        tone: 'transit',
        icon: '➜',
        headline: `Crate to ${libraryName(destination)}`,
        details: ['For a hold there.', ...(crate ? [crate] : []), ...details],
      };
    case 'return_home':
      return {
        tone: 'home',
        icon: '⌂',
        headline: `Home to ${libraryName(destination)}`,
        details: [...(crate ? [crate] : []), ...details],
      };
    case 'float_here':
      return {
        tone: 'float',
        icon: '⚓',
        headline: 'Floats here',
        details: ['Shelve it here: this library is its home now.', ...details],
      };
    case 'reshelve':
      return { tone: 'reshelve', icon: '✓', headline: 'Reshelve', details };
    case 'set_aside': {
      const words = outcome.reason ? setAsideWords[outcome.reason] : undefined;
      return {
        tone: 'alert',
        icon: '⚠',
        headline: 'Set aside',
        details: [words?.reason ?? 'Needs a person to look at it.', ...details],
        ...(words ? { action: words.action } : {}),
      };
    }
  }
}

const scanErrorActions: Partial<Record<DeskError['code'], string>> = {
  barcode_bad_check_digit: 'The check digit is wrong: scan again or type the barcode.',
  barcode_wrong_length: 'Too short or too long, perhaps a partial scan: scan again.',
  barcode_malformed: 'Not a barcode: scan again.',
  barcode_empty: 'Nothing was scanned.',
  not_signed_in: 'Sign in first.',
  checkin_not_found: 'That check-in is not on this desk.',
  undo_not_latest: 'Only the latest scan can be undone.',
  undo_too_late: 'Too late to undo: more than 10 minutes, or its crate was sealed.',
};

export function describeError(barcode: string, error: DeskError): OutcomeView {
  return {
    tone: 'error',
    icon: '✕',
    headline: 'Not checked in',
    details: [barcode ? `${barcode}: ${error.message}` : error.message],
    action: scanErrorActions[error.code] ?? 'Try again; if it keeps failing, tell a supervisor.',
  };
}
