// Values electron.vite.config.ts writes into the preload bundle at build time.

/** package.json `version` of the build. */
declare const __CARREL_VERSION__: string;
