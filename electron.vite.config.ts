// Builds the three parts of the desk app into out/: main (ESM, Node), preload (one CommonJS
// file) and renderer (React page). `electron-vite build` needs no Electron binary.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;
const fromRoot = (...parts: string[]): string => resolve(root, ...parts);

function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'));
  if (typeof manifest === 'object' && manifest !== null && 'version' in manifest) {
    const { version } = manifest;
    if (typeof version === 'string') return version;
  }
  throw new Error('package.json has no string "version"');
}

/**
 * A built page loads only its own files. Added to the built HTML only: in `electron-vite dev`
 * the React plugin injects an inline script that this policy would block.
 */
function contentSecurityPolicy(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
  ].join('; ');
  return {
    name: 'carrel:content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: policy },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: fromRoot('out/main'),
      // Dependencies load from node_modules at run time, never from the bundle: better-sqlite3
      // is a native module and RxDB must be the one copy the store and its plugins share.
      externalizeDeps: { include: ['better-sqlite3', 'rxdb'] },
      rolldownOptions: {
        input: { index: fromRoot('main/index.ts') },
      },
    },
  },
  preload: {
    define: {
      __CARREL_VERSION__: JSON.stringify(packageVersion()),
    },
    build: {
      outDir: fromRoot('out/preload'),
      // A sandboxed preload cannot require node_modules: bundle everything into one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: fromRoot('preload/index.ts') },
        output: {
          // Sandboxed preloads run as classic scripts, so CommonJS; `.cjs` keeps Node tools
          // from reading it as ESM under package.json's "type": "module".
          format: 'cjs',
          entryFileNames: '[name].cjs',
          codeSplitting: false,
        },
      },
    },
  },
  renderer: {
    root: fromRoot('renderer'),
    plugins: [react(), contentSecurityPolicy()],
    build: {
      outDir: fromRoot('out/renderer'),
      rolldownOptions: {
        input: { index: fromRoot('renderer/index.html') },
      },
    },
  },
});
