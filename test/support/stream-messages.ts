// A desk's live stream (GET /v1/sync/stream) read for a test as the desk reads it: the SSE
// parsing is the desk's own (main/sync/sse.ts), each event's data one StreamMessage.
import { SseParser } from '../../main/sync/sse.js';
import type { StreamMessage } from '../../shared/index.js';

export interface StreamMessages {
  /** Every message so far, in order. */
  readonly received: readonly StreamMessage[];
  /** The first message `next` has not answered yet, once it has come. */
  next(): Promise<StreamMessage>;
}

/** Reads `response` (a stream's answer) until it ends or its request is aborted. */
export function streamMessages(response: Response): StreamMessages {
  const received: StreamMessage[] = [];
  let answered = 0;
  let wake: (() => void) | undefined;
  const parser = new SseParser();
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body!.getReader();
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => undefined);
      if (chunk === undefined || chunk.done) return;
      for (const event of parser.push(chunk.value)) {
        received.push(JSON.parse(event.data) as StreamMessage);
        wake?.();
      }
    }
  })();
  return {
    received,
    async next() {
      while (answered >= received.length) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      answered += 1;
      return received[answered - 1]!;
    },
  };
}
