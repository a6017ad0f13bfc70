// The desk API over main's loopback WebSocket bridge, for the UI running in a browser (end-to-end
// tests, development): the same DeskClient as `window.carrel` in the desk app. The client
// itself is in shared/api/client.ts (main's tests drive it over the real bridge); this is its
// browser entry, on the browser's WebSocket unless told otherwise.
import {
  connectWebSocketDeskClient,
  type DeskConnection,
  type DeskSocketConstructor,
} from '../../shared/api/client.js';

export type { DeskConnection } from '../../shared/api/client.js';

export interface DeskClientOptions {
  /** The bridge's `ws://127.0.0.1:<port>/desk`. */
  readonly url: string;
  readonly token: string;
  /** What the client reports as `version` (the page's build). */
  readonly version: string;
  /** Another WebSocket implementation (the `ws` package in Node); the browser's by default. */
  readonly WebSocketImpl?: DeskSocketConstructor;
}

export function connectDeskClient(options: DeskClientOptions): Promise<DeskConnection> {
  return connectWebSocketDeskClient({
    ...options,
    WebSocketImpl: options.WebSocketImpl ?? WebSocket,
  });
}
