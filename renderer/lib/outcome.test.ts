// What the banner says for every routing outcome: a tone, an icon and words for each (colour
// is never the only signal), set-aside reasons in words with what to do, and destinations
// named from the desk's libraries when an answer carries only a code.
import { describe, expect, it } from 'vitest';
import type { CheckinAnswer } from '../../shared/api/index.js';
import { checkinRoutes, setAsideReasons } from '../../shared/schemas/checkins.js';
import { describeAnswer, describeError } from './outcome.js';
import { toneNotes } from './sounds.js';

function answer(
  outcome: CheckinAnswer['outcome'],
  extra: Partial<CheckinAnswer> = {},
): CheckinAnswer {
  return {
    checkinId: '01JQ00000000000000000000AA',
    barcode: '33907000000114',
    scannedAt: '2026-11-23T15:00:00.000Z',
    staff: 'JD',
    outcome,
    warnings: [],
    ...extra,
  };
}

const east = { code: 'EAST', name: 'East Library' };

describe('describeAnswer', () => {
  it.each([
    ['hold_here', 'hold', 'Hold shelf'],
    ['hold_transit', 'transit', 'Crate to East Library (EAST)'],
    ['return_home', 'home', 'Home to East Library (EAST)'],
    ['float_here', 'float', 'Floats here'],
    ['reshelve', 'reshelve', 'Reshelve'],
    ['set_aside', 'alert', 'Set aside'],
  ] as const)('%s: tone %s, "%s"', (route, tone, headline) => {
    const view = describeAnswer(answer({ route, destination: 'EAST' }, { destination: east }));
    expect(view.tone).toBe(tone);
    expect(view.headline).toBe(headline);
  });

  it('gives every outcome its own tone, an icon and a sound', () => {
    const views = checkinRoutes.map((route) => describeAnswer(answer({ route })));
    expect(new Set(views.map((view) => view.tone)).size).toBe(checkinRoutes.length);
    for (const view of views) {
      expect(view.icon.trim()).not.toBe('');
      expect(toneNotes(view.tone).length).toBeGreaterThan(0);
    }
    const sounds = views.map((view) => JSON.stringify(toneNotes(view.tone)));
    expect(new Set(sounds).size).toBe(sounds.length);
  });

  it('says why an item is set aside and what to do, for every reason', () => {
    for (const reason of setAsideReasons) {
      const view = describeAnswer(answer({ route: 'set_aside', reason }));
      expect(view.details[0], reason).not.toBe('Needs a person to look at it.');
      expect(view.action, reason).toBeTruthy();
    }
  });

  it('names a destination given only by code from the known libraries, else by its code', () => {
    expect(
      describeAnswer(answer({ route: 'return_home', destination: 'EAST' }), [east]).headline,
    ).toBe('Home to East Library (EAST)');
    expect(
      describeAnswer(answer({ route: 'return_home', destination: 'WEST' }), [east]).headline,
    ).toBe('Home to WEST (WEST)');
  });

  it('shows the hold slip line for hold_here and "undone" for a voided check-in', () => {
    const held = describeAnswer(
      answer(
        { route: 'hold_here', holdId: '01JQ00000000000000000000AB' },
        {
          holdSlip: {
            holdId: '01JQ00000000000000000000AB',
            shelfName: 'SMITH J',
            expiresOn: '2026-11-30',
          },
        },
      ),
    );
    expect(held.details[0]).toBe('For SMITH J, on the shelf until 2026-11-30.');
    const undone = describeAnswer(answer({ route: 'reshelve' }, { voided: true }));
    expect(undone.tone).toBe('undone');
    expect(undone.details[0]).toBe('33907000000114 is not checked in.');
  });
});

describe('describeError', () => {
  it('tells staff to scan again after a misread', () => {
    const view = describeError('33907000000115', {
      code: 'barcode_bad_check_digit',
      message: 'The check digit is wrong.',
    });
    expect(view.tone).toBe('error');
    expect(view.details[0]).toBe('33907000000115: The check digit is wrong.');
    expect(view.action).toMatch(/scan again/);
  });
});
