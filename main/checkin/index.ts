export { checkIn, recentCheckins } from './checkin-service.js';
export type { ScanOptions } from './checkin-service.js';
export { undoCheckin, UNDO_WINDOW_MS } from './checkin-undo.js';
export { reconcileCaptures, watchCaptures } from './capture-reconcile.js';
