/**
 * Child process of bench:sync: one whole desk core (startDesk) with its loopback WebSocket
 * bridge, in its own process as a desk runs (and because RxDB's open-source build opens only
 * about a dozen collections per process). Prints `{"url","token"}` as one line when ready; when
 * its stdin ends it closes the desk and prints `{"peakRssMb"}` as a last line.
 *
 * Usage: sync-desk.ts <dataDir>
 *
 * Back-off: 100 ms first, 2 s at most (a real desk: 1 s to 60 s). The catch-up runs through
 * a proxy that drops 5 % of connections; with the real policy the figure would mostly measure
 * how long the desk sleeps after a drop, which is a choice of policy, not of the sync code.
 */
import { startDesk } from '../main/app.js';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: sync-desk.ts <dataDir>');

const desk = await startDesk({
  dataDir,
  version: 'bench',
  webSocket: {},
  sync: {
    backoff: { initialMs: 100, maxMs: 2_000, jitter: 0.5 },
    requestTimeoutMs: 30_000,
    log: (line) => process.stderr.write(`${line}\n`),
  },
});
process.stdout.write(`${JSON.stringify(desk.webSocket)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void desk.close().then(() => {
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(`${JSON.stringify({ peakRssMb })}\n`, () => process.exit(0));
  });
});
