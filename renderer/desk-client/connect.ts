// Reaches the desk API from the page: `window.carrel` inside the desk app (the preload put it
// there before any script ran); in a browser, the desk's WebSocket on this page's own origin,
// with the token the page's server hands out at /desk-config.json (see main/web/).
import type { DeskClient } from '../../shared/api/index.js';
import { connectDeskClient } from './ws-client.js';

interface WebDeskConfig {
  readonly token: string;
  readonly version: string;
}

function isWebDeskConfig(value: unknown): value is WebDeskConfig {
  if (typeof value !== 'object' || value === null) return false;
  const { token, version } = value as Record<string, unknown>;
  return typeof token === 'string' && typeof version === 'string';
}

export async function connectDesk(): Promise<DeskClient> {
  if (window.carrel) return window.carrel;
  const response = await fetch('/desk-config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The desk did not hand out its address (${response.status}).`);
  const config: unknown = await response.json();
  if (!isWebDeskConfig(config)) throw new Error('The desk handed out an unreadable address.');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return connectDeskClient({
    url: `${scheme}//${location.host}/desk`,
    token: config.token,
    version: config.version,
  });
}
