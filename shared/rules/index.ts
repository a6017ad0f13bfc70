// Pure domain rules: plain functions over plain data, no I/O, so main, the server and the
// renderer apply them alike (and a desk offline decides as the server would).
export * from './barcode.js';
export * from './crate-state.js';
export * from './hold-state.js';
export * from './note-conflict.js';
export * from './routing.js';
export * from './same-value.js';
