// Test support for main/: reading generated documents back, and a scripted stand-in for the
// consortium server's wire. Tests only; the app never imports it.
export * from './code128.js';
export * from './pdf-inspect.js';
export * from './wire-fixtures.js';
export * from './wire-server.js';
