// What every side agrees on. shared/ imports nothing of ours and no Node, Electron or DOM API.
export * from './schemas/index.js';
export * from './api/index.js';
export * from './rules/index.js';
export * from './sync/wire.js';
