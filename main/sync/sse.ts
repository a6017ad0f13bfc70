// Server-sent events (text/event-stream) read from a fetch body: Node has no EventSource, so
// this is the parsing part of the HTML spec's algorithm, fed with whatever chunks the network
// delivers. Chunks may end anywhere: inside a UTF-8 character, a line, a CRLF pair or an
// event. Lines end in LF, CR or CRLF; `:` starts a comment (servers send them to keep the
// connection open); an event is dispatched at a blank line and only if it had data.

export interface ServerSentEvent {
  /** The `event:` field; `message` when the server gave none. */
  readonly event: string;
  /** The `data:` lines joined with LF. */
  readonly data: string;
  /** The last `id:` seen on this stream so far (what a reconnect sends as Last-Event-ID). */
  readonly lastEventId: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private atStart = true;
  /** The previous chunk ended in CR: an LF starting this one belongs to that line end. */
  private pendingCr = false;
  private eventType = '';
  private data: string[] = [];
  private lastEventId = '';
  /** The reconnection time the server asked for (`retry:`), in ms, if it did. */
  retryMs: number | undefined;

  /** Parses the next bytes of the stream; answers the events they completed, in order. */
  push(chunk: Uint8Array): ServerSentEvent[] {
    return this.pushText(this.decoder.decode(chunk, { stream: true }));
  }

  /** The same for text already decoded. */
  pushText(text: string): ServerSentEvent[] {
    let input = text;
    if (this.atStart && input.length > 0) {
      this.atStart = false;
      if (input.startsWith('\uFEFF')) input = input.slice(1);
    }
    if (this.pendingCr && input.startsWith('\n')) input = input.slice(1);
    this.pendingCr = false;
    this.buffer += input;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) break;
      const line = this.buffer.slice(0, end);
      let next = end + 1;
      if (this.buffer[end] === '\r') {
        if (end + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[end + 1] === '\n') next = end + 2;
      }
      this.buffer = this.buffer.slice(next);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const data = this.data;
    const eventType = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return undefined;
    return { event: eventType || 'message', data: data.join('\n'), lastEventId: this.lastEventId };
  }
}
