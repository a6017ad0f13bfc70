export { checkinsByDay, crateTraffic, waiting } from './desk-reports.js';
