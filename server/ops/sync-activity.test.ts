import { describe, expect, it } from 'vitest';
import { SyncActivity } from './sync-activity.js';

/** A SyncActivity on a clock the test moves. */
function activityAt(start = 1_000_000) {
  const clock = { now: start };
  const activity = new SyncActivity(() => clock.now);
  const lag = (deskId: string) => activity.snapshot().find((desk) => desk.deskId === deskId)?.lagMs;
  return { clock, activity, lag };
}

describe('SyncActivity: sync lag per desk', () => {
  it('a desk is caught up until a commit for its library waits; its pull past it clears it', () => {
    const { clock, activity, lag } = activityAt();
    activity.pulled('north-1', 'NORTH', 'crates', 0);
    activity.pulled('south-1', 'SOUTH', 'crates', 0);
    expect(lag('north-1')).toBe(0);

    activity.committed('crates', 5, ['SOUTH']);
    clock.now += 4000;
    expect(lag('south-1')).toBe(4000);
    expect(lag('north-1')).toBe(0); // not its library

    activity.pulled('south-1', 'SOUTH', 'crates', 5);
    expect(lag('south-1')).toBe(0);
  });

  it('a partial pull leaves the oldest commit it did not reach', () => {
    const { clock, activity, lag } = activityAt();
    activity.pulled('d', 'A', 'holds', 0);
    activity.committed('holds', 3, ['A']);
    clock.now += 1000;
    activity.committed('holds', 7, ['A']);
    clock.now += 1000;
    activity.committed('holds', 9, ['A']);
    clock.now += 1000;
    activity.pulled('d', 'A', 'holds', 7); // a page ending at 7
    expect(lag('d')).toBe(1000); // the commit at seq 9 waited 1 s
    activity.pulled('d', 'A', 'holds', 9);
    expect(lag('d')).toBe(0);
  });

  it("commits for every library ('*') concern every desk; collections are kept apart", () => {
    const { clock, activity, lag } = activityAt();
    activity.pulled('a', 'A', 'libraries', 0);
    activity.pulled('b', 'B', 'libraries', 0);
    activity.committed('libraries', 2, ['*']);
    activity.committed('items', 3, ['A']);
    clock.now += 500;
    expect(lag('a')).toBe(500);
    expect(lag('b')).toBe(500);
    activity.pulled('a', 'A', 'libraries', 2);
    expect(lag('a')).toBe(500); // items still wait
    activity.pulled('a', 'A', 'items', 3);
    expect(lag('a')).toBe(0);
  });

  it('a desk away for more commits than it remembers still shows a lag until it catches up', () => {
    const { clock, activity, lag } = activityAt();
    activity.pulled('d', 'A', 'checkins', 0);
    for (let seq = 1; seq <= 1500; seq++) activity.committed('checkins', seq, ['A']);
    clock.now += 60_000;
    expect(lag('d')).toBe(60_000);
    activity.pulled('d', 'A', 'checkins', 1000); // the remembered commits are pulled
    clock.now += 10;
    expect(lag('d')).toBeGreaterThan(0); // the forgotten ones still wait
    activity.pulled('d', 'A', 'checkins', 1500);
    expect(lag('d')).toBe(0);
  });

  it('records the last pull and push, and forgets a desk on request', () => {
    const { clock, activity } = activityAt(5000);
    activity.pushed('d', 'A');
    clock.now = 6000;
    activity.pulled('d', 'A', 'crates', 0);
    expect(activity.snapshot()).toEqual([
      { deskId: 'd', library: 'A', lastPullAt: 6000, lastPushAt: 5000, lagMs: 0 },
    ]);
    activity.forget('d');
    expect(activity.snapshot()).toEqual([]);
  });
});
