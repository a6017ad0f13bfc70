// `npm run server`: starts a whole consortium on an SQLite file in a data folder and prints how
// to enrol the first desk. Options: --data <folder> (default ./.carrel-data/server),
// --host <address> (default 127.0.0.1), --port <n> (default 8787), --database <postgres://...>
// (or DATABASE_URL): keep the data in PostgreSQL instead, where several instances can run on
// one database. The administrator token is
// read from CARREL_ADMIN_TOKEN, or made up and printed once; GET /metrics also accepts
// CARREL_METRICS_TOKEN (docs/admin/monitoring.md). --updates <folder> (or CARREL_UPDATES_DIR)
// serves desk app releases at /v1/updates/ for the desks' updater (docs/admin/desk-updates.md).
// --trust-proxy <addresses> (or CARREL_TRUST_PROXY): the reverse proxies in front of the server,
// comma-separated addresses or CIDRs, whose X-Forwarded-For names the client for the rate limit
// and the log (docs/admin/install.md); off by default. --new-history: after restoring a backup
// into a new data folder or database, make every desk sync everything again
// (docs/admin/backups.md).
import { parseArgs } from 'node:util';
import { startConsortiumServer, trustedProxies } from './app.js';
import { isPostgresUrl } from './store/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '.carrel-data/server' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8787' },
    database: { type: 'string' },
    updates: { type: 'string' },
    'trust-proxy': { type: 'string' },
    'new-history': { type: 'boolean', default: false },
  },
});
const updatesDir = values.updates ?? process.env['CARREL_UPDATES_DIR'];

// An empty CARREL_TRUST_PROXY= (the env file's blank line) means no proxy is trusted.
const trustProxy = values['trust-proxy'] ?? (process.env['CARREL_TRUST_PROXY'] || undefined);
if (trustProxy !== undefined) {
  try {
    trustedProxies(trustProxy);
  } catch (error) {
    console.error(`${(error as Error).message} (--trust-proxy or CARREL_TRUST_PROXY)`);
    process.exit(2);
  }
}

const database = values.database ?? process.env['DATABASE_URL'];
if (database !== undefined && !isPostgresUrl(database)) {
  console.error('--database (or DATABASE_URL) must be a postgres:// URL.');
  process.exit(2);
}
/** Where the data is, for the banner: the URL without its password. */
function dataPlace(): string {
  if (database === undefined) return values.data;
  const url = new URL(database);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

const server = await startConsortiumServer({
  dataDir: values.data,
  ...(database === undefined ? {} : { database }),
  host: values.host,
  port: Number(values.port),
  logger: true,
  ...(process.env['CARREL_ADMIN_TOKEN'] ? { adminToken: process.env['CARREL_ADMIN_TOKEN'] } : {}),
  ...(updatesDir === undefined ? {} : { updatesDir }),
  ...(trustProxy === undefined ? {} : { trustProxy }),
  newHistory: values['new-history'],
  ...(process.env['CARREL_METRICS_TOKEN']
    ? { metricsToken: process.env['CARREL_METRICS_TOKEN'] }
    : {}),
});

const cli = `CARREL_SERVER_URL=${server.url} CARREL_ADMIN_TOKEN=<the token> npm run admin --`;
console.log(`
Carrel consortium server on ${server.url} (data in ${dataPlace()})
${process.env['CARREL_ADMIN_TOKEN'] ? '' : `Administrator token (keep it; set CARREL_ADMIN_TOKEN to reuse it): ${server.adminToken}\n`}
Enrol the first desk (docs/admin/administration.md has every command):
  1. add the member libraries:
     ${cli} library add --code MAIN --name "Main Library" --prefix 31234 --time-zone America/Chicago
  2. import items and holds from the ILS (docs/admin/ilsimport.md):
     ${cli} import items --format koha items.csv
  3. make a one-time enrolment code for a library:
     ${cli} desk code --library MAIN
  4. at the desk, join the consortium with ${server.url} and that code.
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
