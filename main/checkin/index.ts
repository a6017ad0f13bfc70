export { checkIn, recentCheckins } from './checkin-service.js';
export type { ScanOptions } from './checkin-service.js';
