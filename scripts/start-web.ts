// `npm run start:web`: the desk in a browser. Starts a desk core on a data folder, builds the
// page if needed, serves it on a loopback port and prints the address to open.
// Usage: start-web.ts [--data <folder>] [--port <n>]   (defaults: .carrel-data/, a free port)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startWebDesk } from '../main/web/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '.carrel-data' },
    port: { type: 'string', default: process.env['CARREL_WEB_PORT'] ?? '0' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`carrel: --port must be a port number, not ${values.port}`);
  process.exit(2);
}

const web = await startWebDesk({ dataDir: resolve(values.data), port });
console.log(
  `Carrel desk (browser version): open ${web.url}  (data in ${web.desk.dataDir}; Ctrl+C stops)`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void web.close().then(() => process.exit(0));
  });
}
