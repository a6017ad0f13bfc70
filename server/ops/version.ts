// The server's version, as package.json states it: what /health and the metrics report, and
// what the store's migration history records.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function serverVersion(): string {
  if (cached === undefined) {
    try {
      const manifest = JSON.parse(
        readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
      ) as { version?: unknown };
      cached = typeof manifest.version === 'string' ? manifest.version : 'unknown';
    } catch {
      // A bundled server without its package.json still answers, just without a version.
      cached = 'unknown';
    }
  }
  return cached;
}
