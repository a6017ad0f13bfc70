/**
 * Child process of bench:sync: one consortium server instance (startConsortiumServer), so the
 * server has its own event loop and its own share of the two cores, as on a real host. Prints
 * `{"url","adminToken","store"}` as one line when listening and closes when its stdin ends.
 *
 * Usage: sync-server.ts <dataDir> <adminToken> [postgres://url]
 *
 * `store` says what the instance really runs on: `sqlite`, or `postgres` only if the server
 * honoured the `database` option (it wrote no consortium.sqlite). A server without that option
 * silently runs on SQLite, and the bench must not report those figures as PostgreSQL's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startConsortiumServer, type ConsortiumServerOptions } from '../server/app.js';

const [dataDir, adminToken, database] = process.argv.slice(2);
if (!dataDir || !adminToken) {
  throw new Error('usage: sync-server.ts <dataDir> <adminToken> [postgres://url]');
}

// A variable, not a literal: `database` is the PostgreSQL engineer's option and may not be in
// ConsortiumServerOptions yet.
const options: ConsortiumServerOptions & { database?: string } = {
  dataDir,
  host: '127.0.0.1',
  adminToken,
  ...(database === undefined ? {} : { database }),
};
const server = await startConsortiumServer(options);
const store =
  database === undefined
    ? 'sqlite'
    : existsSync(join(dataDir, 'consortium.sqlite'))
      ? 'sqlite'
      : 'postgres';
process.stdout.write(
  `${JSON.stringify({ url: server.url, adminToken: server.adminToken, store })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
