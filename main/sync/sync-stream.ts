// The desk's one live connection to the server: GET {base}/sync/stream, server-sent events
// telling it what changed. Every (re)connect starts with the server's RESYNC, so whatever
// happened while the desk was away is pulled then. The connection is dropped and opened
// again when it ends, fails, or stays silent longer than the server's keep-alive comments
// would allow (a laptop that slept, a NAT that forgot the connection).
import {
  replicatedCollections,
  type DeskCollectionName,
  type StreamMessage,
} from '../../shared/index.js';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.js';
import { SseParser } from './sse.js';
import { SyncRequestError, SyncStoppedError, type ServerLink } from './server-link.js';
import type { RequestFailure } from './sync-status.js';

export interface SyncStreamOptions {
  readonly link: ServerLink;
  readonly onMessage: (message: StreamMessage) => void;
  /** Silence (no event, no comment) after which the connection counts as dead. */
  readonly idleTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Each connection attempt: null when it is open, its failure when it could not open. */
  readonly onConnection?: (failure: RequestFailure | null) => void;
  /** The stream ended for good: the link was stopped or the token refused. */
  readonly onEnd?: (error: unknown) => void;
}

export interface SyncStream {
  /** Drops the connection's wait between attempts: reconnects now if it is down. */
  reconnectNow(): void;
  close(): void;
}

/** The server's keep-alive comes every 25 s; two missed ones mean the connection is gone. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** A connection that lived this long was healthy: its end does not count as a failure. */
const HEALTHY_MS = 30_000;

const collections = new Set<string>(replicatedCollections);

/** A StreamMessage from an event's data, or undefined for anything else (ignored). */
export function readStreamMessage(data: string): StreamMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (message['type'] === 'RESYNC') return { type: 'RESYNC' };
  const checkpoint = message['checkpoint'] as Record<string, unknown> | null | undefined;
  if (
    message['type'] === 'changed' &&
    typeof message['collection'] === 'string' &&
    collections.has(message['collection']) &&
    typeof checkpoint === 'object' &&
    checkpoint !== null &&
    typeof checkpoint['seq'] === 'number'
  ) {
    return {
      type: 'changed',
      collection: message['collection'] as DeskCollectionName,
      checkpoint: { seq: checkpoint['seq'] },
    };
  }
  return undefined;
}

export function openSyncStream(options: SyncStreamOptions): SyncStream {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const backoff = options.backoff ?? defaultBackoff;
  let closed = false;
  let connection: AbortController | undefined;
  let pause: AbortController | undefined;
  let drops = 0;

  /** One connection, read until it ends; resolves when it ended, rejects when it failed. */
  async function readOnce(): Promise<void> {
    const controller = new AbortController();
    connection = controller;
    let response: Response;
    try {
      response = await options.link.stream('/sync/stream', controller.signal);
    } catch (error) {
      if (error instanceof SyncRequestError) options.onConnection?.(error.failure);
      throw error;
    }
    options.onConnection?.(null);
    const opened = performance.now();
    const body = response.body;
    if (!body) return;
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    const parser = new SseParser();
    let idle = setTimeout(() => controller.abort(), idleTimeoutMs);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), idleTimeoutMs);
        for (const event of parser.push(value)) {
          const message = readStreamMessage(event.data);
          if (message) options.onMessage(message);
        }
      }
    } catch (error) {
      if (!controller.signal.aborted || closed) throw error;
      // Aborted for silence: end it like a dropped connection.
    } finally {
      clearTimeout(idle);
      if (performance.now() - opened >= HEALTHY_MS) drops = 0;
      await reader.cancel().catch(() => undefined);
    }
  }

  async function run(): Promise<void> {
    while (!closed) {
      try {
        await options.link.retrying(readOnce);
      } catch (error) {
        if (closed || error instanceof SyncStoppedError) return options.onEnd?.(error);
        if (error instanceof SyncRequestError && error.failure.kind === 'fatal') {
          return options.onEnd?.(error);
        }
        // The body broke off mid-stream: reconnect like after an end.
      }
      if (closed) break;
      drops += 1;
      pause = new AbortController();
      const signal = pause.signal;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffDelay(drops, backoff));
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    options.onEnd?.(new SyncStoppedError());
  }

  void run();
  return {
    reconnectNow() {
      pause?.abort();
    },
    close() {
      closed = true;
      connection?.abort();
      pause?.abort();
    },
  };
}
