// What the desk's document generators share: local time at a library, text fitted onto PDF
// pages, and the CSV writer with its spreadsheet-formula guard.
export * from './csv.js';
export * from './local-time.js';
export * from './pdf-layout.js';
