// Every request the desk makes to the consortium server for sync goes through one link: it
// adds the desk's token, gives each request a time limit, turns every failure into a
// RequestFailure (see sync-status.ts), samples the server's clock from each answer, and keeps
// ONE back-off for all of them. While the server is unreachable every pull, push and the
// stream wait for the same next attempt, so eight collections do not hammer a server that is
// down eight times over; `wake()` ("sync now") cuts the wait short.
import type { ReadableStreamReadResult } from 'node:stream/web';
import { gzipSync } from 'node:zlib';
import {
  HISTORY_HEADER,
  RESYNC_HEADER,
  SYNC_BASE_PATH,
  type WireError,
} from '../../shared/index.js';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.js';
import type { ClockSample } from './clock-offset.js';
import { classifyFailure, type RequestFailure } from './sync-status.js';

/** A request failed; `failure` says how (offline, refused, fatal). */
export class SyncRequestError extends Error {
  constructor(readonly failure: RequestFailure) {
    super(`${failure.code}: ${failure.message}`);
    this.name = 'SyncRequestError';
  }
}

/** The link was stopped (sync stopped or the desk closes); nothing more will be sent. */
export class SyncStoppedError extends Error {
  constructor() {
    super('sync stopped');
    this.name = 'SyncStoppedError';
  }
}

export interface ServerLinkOptions {
  /** The server's base URL, without a trailing slash. */
  readonly serverUrl: string;
  readonly token: string;
  readonly fetchImpl?: typeof fetch;
  readonly backoff?: BackoffPolicy;
  /** The desk's clock (the one check-ins are stamped with): for clock samples. */
  readonly now: () => Date;
  /** Most time a request may take to answer (the stream: to answer its headers). */
  readonly requestTimeoutMs?: number;
  readonly random?: () => number;
  readonly onSuccess?: (sample: ClockSample | undefined) => void;
  readonly onFailure?: (failure: RequestFailure) => void;
  /** The server database's history named by an answer (HISTORY_HEADER), when it names one. */
  readonly onHistory?: (history: string) => void;
  /** The history this desk synced everything again for, sent as RESYNC_HEADER. */
  readonly resyncedFor?: string;
  /**
   * The history this desk's checkpoints belong to, sent as HISTORY_HEADER: the server takes a
   * pull past its database's end in its own history for a database that went back in time.
   */
  readonly history?: () => string | undefined;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The server's WireError in a body, if the body is one. */
export function wireErrorOf(body: unknown): WireError['error'] | undefined {
  if (!isRecord(body) || !isRecord(body['error'])) return undefined;
  const { code, message } = body['error'];
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
}

/** Why fetch found no server, in words for staff (Node puts the system's code in `cause`). */
function unreachableMessage(error: unknown): string {
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause['code'] : undefined;
  return typeof cause === 'string'
    ? `The consortium server cannot be reached (${cause}).`
    : 'The consortium server cannot be reached.';
}

/** Most a server's Retry-After may hold the desk back: a wrong header must not stop sync. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** A Retry-After header (seconds, or an HTTP date) as a wait in ms from `nowMs`. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const wait = /^\s*\d+\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - nowMs;
  return Number.isNaN(wait) ? undefined : Math.min(Math.max(wait, 0), MAX_RETRY_AFTER_MS);
}

export class ServerLink {
  private readonly fetchImpl: typeof fetch;
  private readonly backoff: BackoffPolicy;
  private readonly timeoutMs: number;
  private readonly stopController = new AbortController();
  /** Consecutive failed attempts (counted once per back-off step, not once per request). */
  private failures = 0;
  /** Bumped at every success and every counted failure: requests of one step share it. */
  private epoch = 0;
  /** performance.now() before which no request starts (our back-off; `wake` clears it). */
  private retryAt = 0;
  /** performance.now() before which the server asked not to be called (Retry-After). */
  private notBefore = 0;
  private wakers = new Set<() => void>();
  private failureWaiters = new Set<{
    readonly since: number;
    readonly resolve: (failure: RequestFailure) => void;
  }>();

  constructor(private readonly options: ServerLinkOptions) {
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.backoff = options.backoff ?? defaultBackoff;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Aborts every request and wait; everything after throws SyncStoppedError. */
  stop(): void {
    this.stopController.abort();
    this.wakeAll();
  }

  /**
   * Ends the back-off wait now: the next attempts start at once, unless the server asked for
   * a pause (Retry-After on 429 or 503), which even "sync now" respects.
   */
  wake(): void {
    this.retryAt = 0;
    this.wakeAll();
  }

  /**
   * Resolves when a request sent from now on fails (sync now: "the round failed"); requests
   * already under way when it was asked do not count.
   */
  nextFailure(): { readonly failed: Promise<RequestFailure>; cancel(): void } {
    let waiter: { since: number; resolve: (failure: RequestFailure) => void } | undefined;
    const failed = new Promise<RequestFailure>((resolve) => {
      waiter = { since: performance.now(), resolve };
      this.failureWaiters.add(waiter);
    });
    return {
      failed,
      cancel: () => {
        if (waiter) this.failureWaiters.delete(waiter);
      },
    };
  }

  /**
   * One GET or POST of JSON under the sync base path. `read` checks the answer's shape and
   * answers it typed, or undefined: an answer the desk cannot read counts as a failure.
   */
  async json<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    read: (answer: unknown) => T | undefined,
  ): Promise<T> {
    const epoch = this.epoch;
    const startedAt = performance.now();
    const response = await this.send(method, path, body, 'application/json');
    let answer: T | undefined;
    try {
      answer = read(await response.json());
    } catch {
      answer = undefined;
    }
    if (this.stopped) throw new SyncStoppedError();
    if (answer === undefined) {
      throw this.failed(epoch + 1, startedAt, {
        kind: 'offline',
        code: 'server_error',
        message: `The consortium server answered ${method} ${path.split('?')[0] ?? path} with something the desk cannot read.`,
      });
    }
    return answer;
  }

  /**
   * Opens a long-lived GET (the event stream): answers once the headers are in, with the
   * body still open. `signal` ends it later; the time limit covers the headers only.
   */
  stream(path: string, signal: AbortSignal): Promise<Response> {
    return this.send('GET', path, undefined, 'text/event-stream', signal);
  }

  /**
   * One GET whose answer is JSON lines (a pages answer, `accept`), read as the lines arrive:
   * yields each line's value as `read` checks it. An answer that breaks off, goes quiet for
   * the time limit between two chunks (not while the caller holds a line: the desk writes a
   * page meanwhile), or holds a line the desk cannot read fails like any request, after the
   * lines before it were yielded; so does one without a single line. Leaving the loop early
   * closes the answer.
   */
  async *lines<T>(
    path: string,
    accept: string,
    read: (value: unknown) => T | undefined,
  ): AsyncGenerator<T, void, undefined> {
    const startedAt = performance.now();
    const close = new AbortController();
    const response = await this.send('GET', path, undefined, accept, close.signal);
    const what = `GET ${path.split('?')[0] ?? path}`;
    const broken = (message: string) =>
      this.failed(this.epoch, startedAt, { kind: 'offline', code: 'server_error', message });
    const reader = response.body?.getReader();
    try {
      if (!reader) throw broken(`The consortium server answered ${what} with no body.`);
      const decoder = new TextDecoder('utf-8');
      let pending: string[] = [];
      let lines = 0;
      for (;;) {
        const timer = setTimeout(() => close.abort(), this.timeoutMs);
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (this.stopped) throw new SyncStoppedError();
          throw this.failed(
            this.epoch,
            startedAt,
            classifyFailure({
              message: close.signal.aborted
                ? `The consortium server's answer to ${what} stopped for ${Math.round(this.timeoutMs / 1000)} s.`
                : unreachableMessage(error),
            }),
          );
        } finally {
          clearTimeout(timer);
        }
        if (chunk.done) break;
        let text = decoder.decode(chunk.value, { stream: true });
        // Only the new text is searched for line ends: a page is one line of many chunks.
        for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
          const line = pending.join('') + text.slice(0, end);
          pending = [];
          text = text.slice(end + 1);
          let value: T | undefined;
          try {
            value = read(JSON.parse(line));
          } catch {
            value = undefined;
          }
          if (value === undefined) {
            throw broken(
              `The consortium server answered ${what} with something the desk cannot read.`,
            );
          }
          lines += 1;
          yield value;
        }
        if (text !== '') pending.push(text);
      }
      // Bytes of a character the answer ended in the middle of count as text left over.
      pending.push(decoder.decode());
      if (lines === 0 || pending.join('').trim() !== '') {
        throw broken(`The consortium server's answer to ${what} broke off.`);
      }
    } finally {
      close.abort();
    }
  }

  /**
   * Runs `attempt` until it succeeds, each try after the link's current back-off: failures
   * that mean "try again" (offline, refused) are retried, a fatal one or a stop is thrown.
   */
  async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (;;) {
      await this.turn();
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof SyncRequestError && error.failure.kind !== 'fatal') continue;
        throw error;
      }
    }
  }

  /** Waits until the back-off allows the next request (or the link is woken or stopped). */
  private async turn(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new SyncStoppedError();
      const wait = Math.max(this.retryAt, this.notBefore) - performance.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, wait);
        this.wakers.add(done);
      });
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    accept: string,
    until?: AbortSignal,
  ): Promise<Response> {
    if (this.stopped) throw new SyncStoppedError();
    const epoch = this.epoch;
    const startedAt = performance.now();
    const headersTimeout = new AbortController();
    const timer = setTimeout(() => headersTimeout.abort(), this.timeoutMs);
    const signal = AbortSignal.any([
      this.stopController.signal,
      headersTimeout.signal,
      ...(until ? [until] : []),
    ]);
    const sentAt = this.options.now().getTime();
    const payload = body === undefined ? undefined : requestBody(body);
    const known = this.options.history?.();
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.options.serverUrl}${SYNC_BASE_PATH}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept,
          ...(this.options.resyncedFor === undefined
            ? {}
            : { [RESYNC_HEADER]: this.options.resyncedFor }),
          ...(known === undefined ? {} : { [HISTORY_HEADER]: known }),
          // An event stream must not be compressed: a compressor holds events back.
          ...(accept === 'text/event-stream' ? { 'accept-encoding': 'identity' } : {}),
          ...(payload === undefined ? {} : payload.headers),
        },
        ...(payload === undefined ? {} : { body: payload.body }),
        signal,
      });
    } catch (error) {
      if (this.stopped || until?.aborted) throw new SyncStoppedError();
      throw this.failed(
        epoch,
        startedAt,
        classifyFailure({
          message: headersTimeout.signal.aborted
            ? `The consortium server did not answer within ${Math.round(this.timeoutMs / 1000)} s.`
            : unreachableMessage(error),
        }),
      );
    } finally {
      clearTimeout(timer);
    }
    const history = response.headers.get(HISTORY_HEADER);
    if (history !== null && history !== '') this.options.onHistory?.(history);
    const sample = {
      dateHeader: response.headers.get('date') ?? '',
      sentAt,
      receivedAt: this.options.now().getTime(),
    };
    if (!response.ok) {
      const pause = retryAfterMs(response.headers.get('retry-after'), Date.now());
      if (pause !== undefined && (response.status === 429 || response.status === 503)) {
        this.notBefore = performance.now() + pause;
      }
      const wire = wireErrorOf(await response.json().catch(() => undefined));
      throw this.failed(
        epoch,
        startedAt,
        classifyFailure({ status: response.status, code: wire?.code, message: wire?.message }),
      );
    }
    this.failures = 0;
    this.retryAt = 0;
    this.epoch += 1;
    this.options.onSuccess?.(sample.dateHeader === '' ? undefined : sample);
    return response;
  }

  /** Counts a failure (once per back-off step), schedules the next attempt, tells everyone. */
  private failed(epoch: number, startedAt: number, failure: RequestFailure): SyncRequestError {
    if (epoch === this.epoch) {
      this.failures += 1;
      this.epoch += 1;
      this.retryAt =
        performance.now() + backoffDelay(this.failures, this.backoff, this.options.random);
    }
    this.options.onFailure?.(failure);
    for (const waiter of [...this.failureWaiters]) {
      if (startedAt < waiter.since) continue;
      this.failureWaiters.delete(waiter);
      waiter.resolve(failure);
    }
    return new SyncRequestError(failure);
  }
}

/** Bodies at least this long go gzipped: on a slow link the bytes are the cost. */
export const GZIP_REQUEST_BYTES = 1024;

/**
 * A JSON request body, gzipped when it is long enough to gain from it. A batch of pushed
 * check-ins repeats its field names and codes row after row, so it shrinks about tenfold;
 * the server inflates it within its body limit (@fastify/compress).
 */
export function requestBody(body: unknown): {
  body: string | Uint8Array;
  headers: Record<string, string>;
} {
  const json = JSON.stringify(body);
  if (json.length < GZIP_REQUEST_BYTES) {
    return { body: json, headers: { 'content-type': 'application/json' } };
  }
  return {
    body: new Uint8Array(gzipSync(json, { level: 6 })),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  };
}
