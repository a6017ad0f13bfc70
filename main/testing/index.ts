// Test support for main/: reading generated documents back. Tests only; the app never imports it.
export * from './code128.js';
export * from './pdf-inspect.js';
