import type { DeskClient } from '../shared/api/index.js';

declare global {
  interface Window {
    /** Set by the preload bridge inside the desk app; absent when the page runs in a browser. */
    readonly carrel?: DeskClient;
  }
}
