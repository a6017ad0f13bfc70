// How long the desk waits before trying the server again after a failure: exponential back-off
// with jitter, so a hundred desks that lost the server at the same moment do not all come
// back at the same moment either, and a desk that is offline all day asks at most once a
// minute.

export interface BackoffPolicy {
  /** The ceiling of the first wait, in ms. */
  readonly initialMs: number;
  /** The ceiling never grows past this, in ms. */
  readonly maxMs: number;
  /**
   * The share of the ceiling left to chance, 0..1: a wait is drawn uniformly from
   * [ceiling * (1 - jitter), ceiling]. 0.5 ("equal jitter") never retries at once.
   */
  readonly jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, jitter: 0.5 };

/**
 * The wait before retry number `attempt` (1 after the first failure): the ceiling doubles per
 * attempt from `initialMs` up to `maxMs`, and the wait is drawn below it. `random` returns a
 * number in [0, 1), like Math.random.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = defaultBackoff,
  random: () => number = Math.random,
): number {
  const doublings = Math.min(Math.max(attempt - 1, 0), 52);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** doublings);
  const jitter = Math.min(Math.max(policy.jitter, 0), 1);
  return Math.round(ceiling * (1 - jitter * random()));
}
