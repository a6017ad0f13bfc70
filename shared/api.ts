// The contract between the desk's UI and main. The renderer sees it as `window.carrel`; the
// preload bridge (and later the loopback WebSocket bridge) exposes exactly this, nothing else.
// Type-only: shared/ loads in the renderer, in main and in the server alike.

/** What `window.carrel` offers. It exists only when the UI runs inside the desk app. */
export interface CarrelBridge {
  /** The desk app's version (package.json `version` at build time); works offline. */
  version: string;
}
