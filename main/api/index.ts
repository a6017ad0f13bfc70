export { createDeskHandlers } from './desk-handlers.js';
export { createDispatcher, createEventHub } from './dispatcher.js';
export type { DeskDispatcher, DeskEventHub, DeskEventListener } from './dispatcher.js';
export { startWebSocketBridge, isLoopbackAddress } from './ws-bridge.js';
export type { WebSocketBridge, WebSocketBridgeOptions } from './ws-bridge.js';
export { serveOverIpc, isDeskPage } from './ipc-bridge.js';
export type { IpcBridge, IpcBridgeOptions } from './ipc-bridge.js';
