// The desk's clock against the server's, from the HTTP `Date` header of the server's answers,
// so that a PC whose clock is wrong shows it (check-in times are the desk's clock).
//
// Precision: `Date` has whole seconds, cut down (not rounded) from the server's clock at some
// moment between the desk sending the request (t0, desk clock) and reading the answer's
// headers (t1). So the server's clock minus the desk's lies in
//   [date - t1, date + 1000 - t0]
// and each answer narrows that interval. Answers are combined by intersecting their
// intervals; the estimate is the middle. One answer is good to about ±(500 ms + RTT/2);
// answers whose second ticks over at different points narrow it further. When the intervals
// stop overlapping the desk's clock (or the server's) was set: start again from the newest.

export interface ClockSample {
  /** The answer's `Date` header, as sent. */
  readonly dateHeader: string;
  /** Desk clock (ms since the epoch) when the request was sent. */
  readonly sentAt: number;
  /** Desk clock when the answer's headers were read. */
  readonly receivedAt: number;
}

/** Server clock minus desk clock lies within [low, high], in ms. */
export interface OffsetInterval {
  readonly low: number;
  readonly high: number;
}

/** The interval one answer allows, or undefined for a missing or unreadable header. */
export function sampleInterval(sample: ClockSample): OffsetInterval | undefined {
  const date = Date.parse(sample.dateHeader);
  if (Number.isNaN(date) || sample.receivedAt < sample.sentAt) return undefined;
  return { low: date - sample.receivedAt, high: date + 1000 - sample.sentAt };
}

/** Narrows `current` with a new sample; restarts from the sample when they disagree. */
export function combineOffset(
  current: OffsetInterval | undefined,
  sample: ClockSample,
): OffsetInterval | undefined {
  const next = sampleInterval(sample);
  if (!next) return current;
  if (!current) return next;
  const low = Math.max(current.low, next.low);
  const high = Math.min(current.high, next.high);
  return low <= high ? { low, high } : next;
}

/** The estimate reported: the middle of the interval, in whole ms. */
export function offsetEstimate(interval: OffsetInterval): number {
  return Math.round((interval.low + interval.high) / 2);
}
