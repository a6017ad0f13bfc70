export * from './contract.js';
export * from './result.js';
