// The link every sync request goes through, against the scripted wire stand-in: one back-off
// for all requests, "sync now" cutting it short, Retry-After honoured even then, failures
// sorted, answers checked.
import { afterEach, describe, expect, it } from 'vitest';
import {
  startScriptedWireServer,
  type ScriptedAnswer,
  type ScriptedRequest,
  type ScriptedWireServer,
} from '../testing/index.js';
import { retryAfterMs, ServerLink, SyncRequestError, SyncStoppedError } from './server-link.js';
import type { RequestFailure } from './sync-status.js';

const TOKEN = 'desk-token-0123456789abcdef';
let server: ScriptedWireServer | undefined;
let link: ServerLink | undefined;
afterEach(async () => {
  link?.stop();
  await server?.close();
});

async function setUp(
  hook: (request: ScriptedRequest) => ScriptedAnswer | Promise<ScriptedAnswer>,
  backoff = { initialMs: 300, maxMs: 300, jitter: 0 },
) {
  server = await startScriptedWireServer({ token: TOKEN, hook });
  const failures: RequestFailure[] = [];
  link = new ServerLink({
    serverUrl: server.url,
    token: TOKEN,
    now: () => new Date(),
    backoff,
    requestTimeoutMs: 2_000,
    onFailure: (failure) => failures.push(failure),
  });
  return { server, link, failures };
}

const readAny = (answer: unknown) => answer;
const pull = (l: ServerLink) => l.json('GET', '/sync/items/pull?limit=10', undefined, readAny);

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-23T10:00:00.000Z');
  it.each<[string | null, number | undefined]>([
    [null, undefined],
    ['', undefined],
    ['30', 30_000],
    [' 2 ', 2_000],
    ['Mon, 23 Nov 2026 10:00:05 GMT', 5_000],
    ['Mon, 23 Nov 2026 09:00:00 GMT', 0],
    ['999999', 600_000],
    ['soon', undefined],
  ])('%j -> %j', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});

describe('ServerLink', () => {
  it('sorts failures: no answer, refused, fatal, unreadable', async () => {
    let answer: ScriptedAnswer = 'drop';
    const { link: l, failures } = await setUp(() => answer);
    await expect(pull(l)).rejects.toBeInstanceOf(SyncRequestError);
    answer = { status: 403, body: { error: { code: 'forbidden', message: 'No.' } } };
    await expect(pull(l)).rejects.toThrow('forbidden: No.');
    answer = { status: 403, body: { error: { code: 'revoked', message: 'Revoked.' } } };
    await expect(pull(l)).rejects.toThrow('revoked');
    answer = { status: 200, body: { documents: 'many' } };
    await expect(l.json('GET', '/sync/items/pull', undefined, () => undefined)).rejects.toThrow(
      'server_error',
    );
    expect(failures.map((f) => [f.kind, f.code])).toEqual([
      ['offline', 'server_unreachable'],
      ['refused', 'forbidden'],
      ['fatal', 'revoked'],
      ['offline', 'server_error'],
    ]);
  });

  it('retries after the back-off, and "wake" retries at once', async () => {
    let down = true;
    const { server: s, link: l } = await setUp(() => (down ? 'drop' : undefined), {
      initialMs: 5_000,
      maxMs: 5_000,
      jitter: 0,
    });
    const result = l.retrying(() => pull(l));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(s.requests).toHaveLength(1);
    down = false;
    const started = performance.now();
    l.wake();
    await expect(result).resolves.toMatchObject({ documents: [] });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('counts one back-off step for requests that failed together', async () => {
    let down = true;
    const { server: s, link: l } = await setUp(() => (down ? 'drop' : undefined), {
      initialMs: 300,
      maxMs: 10_000,
      jitter: 0,
    });
    const all = Promise.all(Array.from({ length: 8 }, () => l.retrying(() => pull(l))));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(s.requests).toHaveLength(8);
    // Eight failures, one step: the next attempt comes after 300 ms, not 300 * 2^7.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(s.requests).toHaveLength(16);
    down = false;
    await all;
  });

  it('waits as long as Retry-After says, even when woken', async () => {
    let limited = true;
    const { server: s, link: l } = await setUp(() =>
      limited
        ? {
            status: 429,
            body: { error: { code: 'rate_limited', message: 'Slow down.' } },
            headers: { 'retry-after': '1' },
          }
        : undefined,
    );
    const started = performance.now();
    const result = l.retrying(() => pull(l));
    await new Promise((resolve) => setTimeout(resolve, 100));
    limited = false;
    l.wake();
    await result;
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.requests).toHaveLength(2);
  });

  it('does not retry a fatal failure, and stops every wait on stop', async () => {
    const { link: l } = await setUp(() => ({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'Who?' } },
    }));
    await expect(l.retrying(() => pull(l))).rejects.toMatchObject({
      failure: { kind: 'fatal', code: 'unauthorized' },
    });
    const waiting = l.retrying(() =>
      Promise.reject(new SyncRequestError({ kind: 'offline', code: 'x', message: 'x' })),
    );
    l.stop();
    await expect(waiting).rejects.toBeInstanceOf(SyncStoppedError);
  });

  it('tells "sync now" of failures of requests sent after it asked only', async () => {
    let answer: ScriptedAnswer = undefined;
    const { link: l } = await setUp(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return answer;
    });
    answer = 'drop';
    const early = pull(l).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const watch = l.nextFailure();
    let failed = false;
    void watch.failed.then(() => (failed = true));
    await early;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(failed).toBe(false);
    await pull(l).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(failed).toBe(true);
  });
});
