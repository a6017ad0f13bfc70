// The browser version of the desk: page server, WebSocket pass-through, page build.
export { startWebDesk, type WebDesk, type WebDeskConfig, type WebDeskOptions } from './web-desk.js';
export { ensureRendererBuilt, rendererIsStale } from './renderer-build.js';
