// GET /metrics: the server's figures in Prometheus text format.
//
// Counters move as requests are answered (Fastify hooks on the sync routes, so the routes
// themselves stay free of bookkeeping); gauges are computed from the store and the desk
// registry when Prometheus scrapes, so they are never stale and cost nothing between scrapes.
// Labels carry desk ids and library codes, never patron data, titles or barcodes.
//
// Access: the metrics token (CARREL_METRICS_TOKEN) if one is set, or the administrator token.
// A separate token because Prometheus keeps it in plain text in its configuration on another
// machine: whoever reads that file should learn the figures, not gain the power to enrol
// desks or import into the catalogue.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { cratesWaiting, type WaitingCrate } from '../admin/index.js';
import type { DeskRegistry } from '../store/desk-registry.js';
import { EVERY_LIBRARY, type ReplicationStore } from '../store/index.js';
import { refusalCode } from '../errors.js';
import { authenticatedDesk, HttpError, pulledCheckpoint } from '../sync/sync-routes.js';
import { SyncActivity } from './sync-activity.js';

export interface MetricsOptions {
  readonly store: ReplicationStore;
  readonly registry: DeskRegistry;
  /** Throws the server's 401 unless the header carries the administrator token. */
  readonly requireAdmin: (authorization: string | undefined) => void;
  /** A read-only token for Prometheus; without one only the administrator token is accepted. */
  readonly metricsToken?: string;
  readonly version: string;
  readonly now?: () => Date;
}

const PULL_ROUTE = '/v1/sync/:collection/pull';
const PAGES_ROUTE = '/v1/sync/:collection/pages';
const PUSH_ROUTE = '/v1/sync/:collection/push';
const STREAM_ROUTE = '/v1/sync/stream';
/** Waiting crates are read again at least this often, changed or not. */
const CRATES_REREAD_MS = 5 * 60_000;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function collectionOf(request: FastifyRequest): string {
  const params = request.params as { collection?: unknown } | undefined;
  return typeof params?.collection === 'string' ? params.collection : 'unknown';
}

export function registerMetrics(app: FastifyInstance, options: MetricsOptions): void {
  const { store, registry } = options;
  const now = options.now ?? (() => new Date());
  const activity = new SyncActivity(() => now().getTime(), EVERY_LIBRARY);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });

  new Gauge({
    name: 'carrel_build_info',
    help: 'The server version that answers (always 1).',
    labelNames: ['version'],
    registers: [metrics],
  }).set({ version: options.version }, 1);

  const pushes = new Counter({
    name: 'carrel_sync_pushes_total',
    help: 'Pushes accepted (rows applied or answered with conflicts), by collection.',
    labelNames: ['collection'],
    registers: [metrics],
  });
  const pushedRows = new Counter({
    name: 'carrel_sync_pushed_rows_total',
    help: 'Rows in accepted pushes, by collection.',
    labelNames: ['collection'],
    registers: [metrics],
  });
  const conflicts = new Counter({
    name: 'carrel_sync_conflicts_total',
    help: 'Pushed rows answered with the master state because the desk assumed an older one.',
    labelNames: ['collection'],
    registers: [metrics],
  });
  const rejected = new Counter({
    name: 'carrel_sync_rejected_pushes_total',
    help: 'Pushes refused whole (nothing written), by collection and error code.',
    labelNames: ['collection', 'code'],
    registers: [metrics],
  });
  const pulls = new Counter({
    name: 'carrel_sync_pulls_total',
    help: 'Pulls answered (a pages answer counts once), by collection.',
    labelNames: ['collection'],
    registers: [metrics],
  });
  let openStreams = 0;
  new Gauge({
    name: 'carrel_sync_streams_open',
    help: 'Live streams (server-sent events) open to desks.',
    registers: [metrics],
    collect() {
      this.set(openStreams);
    },
  });

  const deskGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['desk', 'library'], registers: [metrics] });
  const lag = deskGauge(
    'carrel_desk_sync_lag_seconds',
    'How long the oldest change for this desk has waited for it to pull (0: caught up). ' +
      'Desks seen since the server started.',
  );
  const lastPull = deskGauge(
    'carrel_desk_last_pull_timestamp_seconds',
    'When this desk last pulled (Unix time).',
  );
  const lastPush = deskGauge(
    'carrel_desk_last_push_timestamp_seconds',
    'When this desk last had a push accepted (Unix time).',
  );
  const enrolled = new Gauge({
    name: 'carrel_desks_enrolled',
    help: 'Enrolled desks that are not revoked, by library.',
    labelNames: ['library'],
    registers: [metrics],
  });
  const cratesGauge = new Gauge({
    name: 'carrel_crates_waiting',
    help: 'Crates sealed and not yet received, or received and not yet closed, by destination.',
    labelNames: ['destination', 'status'],
    registers: [metrics],
  });
  const oldestCrate = new Gauge({
    name: 'carrel_crates_oldest_waiting_seconds',
    help: 'Age of the oldest waiting crate, by destination.',
    labelNames: ['destination'],
    registers: [metrics],
  });
  const storeUp = new Gauge({
    name: 'carrel_store_up',
    help: 'Whether the store answered the scrape (1) or not (0).',
    registers: [metrics],
  });

  // The waiting crates are read through the store only when the crates collection changed
  // (or after CRATES_REREAD_MS, for commits this instance does not hear of): reading every crate
  // takes about half a second at 20,000 crates (bench/metrics.bench.ts), too much for every
  // scrape. Their ages are computed at each scrape from when they started waiting.
  let waitingCrates: readonly WaitingCrate[] | null = null;
  let cratesChanged = true;
  let cratesReadAt = 0;

  /** Gauges from the registry and the store, as of this scrape. */
  async function refreshGauges(): Promise<void> {
    const desks = await registry.list();
    for (const desk of desks) if (desk.revoked) activity.forget(desk.deskId);
    enrolled.reset();
    for (const desk of desks) if (!desk.revoked) enrolled.inc({ library: desk.library });

    lag.reset();
    lastPull.reset();
    lastPush.reset();
    for (const desk of activity.snapshot()) {
      const labels = { desk: desk.deskId, library: desk.library };
      lag.set(labels, desk.lagMs / 1000);
      if (desk.lastPullAt !== null) lastPull.set(labels, desk.lastPullAt / 1000);
      if (desk.lastPushAt !== null) lastPush.set(labels, desk.lastPushAt / 1000);
    }

    cratesGauge.reset();
    oldestCrate.reset();
    try {
      const nowMs = now().getTime();
      if (waitingCrates === null || cratesChanged || nowMs - cratesReadAt > CRATES_REREAD_MS) {
        cratesChanged = false; // before the read: a commit during it marks the list stale again
        waitingCrates = (await cratesWaiting({ store, now })).crates;
        cratesReadAt = nowMs;
      }
      const oldest = new Map<string, number>();
      for (const crate of waitingCrates) {
        cratesGauge.inc({ destination: crate.destination, status: crate.status });
        const age = Math.max(0, (nowMs - Date.parse(crate.since)) / 1000);
        oldest.set(crate.destination, Math.max(oldest.get(crate.destination) ?? 0, age));
      }
      for (const [destination, age] of oldest) oldestCrate.set({ destination }, age);
      storeUp.set(1);
    } catch (error) {
      // The figures that do not need the store are still worth a scrape.
      storeUp.set(0);
      app.log.error({ err: error }, 'metrics: the store did not answer');
    }
  }

  // Every commit (a desk's push, an import) is a change the desks of its libraries must pull.
  const stopListening = store.onCommit((change) => {
    activity.committed(change.collection, change.checkpoint.seq, change.libraries);
    if (change.collection === 'crates') cratesChanged = true;
  });
  app.addHook('onClose', (_instance, done) => {
    stopListening();
    done();
  });

  /** An answered pull (or pages answer), its desk at the checkpoint its route recorded. */
  const pulled = (request: FastifyRequest) => {
    const collection = collectionOf(request);
    pulls.inc({ collection });
    // An answered sync request was authenticated by its route: the desk comes from there,
    // not from a second registry lookup of the same token.
    const desk = authenticatedDesk(request);
    const checkpoint = pulledCheckpoint(request);
    if (desk && checkpoint) activity.pulled(desk.deskId, desk.library, collection, checkpoint.seq);
  };
  // A pull answers prebuilt JSON text, which skips preSerialization: it is counted as it is
  // sent. A pages answer streams on after onSend: counted once it is sent, at its last page.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 200 && request.routeOptions.url === PULL_ROUTE) pulled(request);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 200 && request.routeOptions.url === PAGES_ROUTE) pulled(request);
    done();
  });

  app.addHook('preSerialization', (request, reply, payload, done) => {
    if (reply.statusCode === 200 && request.routeOptions.url === PUSH_ROUTE) {
      const collection = collectionOf(request);
      const desk = authenticatedDesk(request);
      const body = request.body as { rows?: unknown[] } | undefined;
      const answered = (payload as { conflicts?: unknown[] }).conflicts ?? [];
      pushes.inc({ collection });
      pushedRows.inc({ collection }, body?.rows?.length ?? 0);
      if (answered.length > 0) conflicts.inc({ collection }, answered.length);
      if (desk) activity.pushed(desk.deskId, desk.library);
    }
    done(null, payload);
  });

  app.addHook('onError', (request, _reply, error, done) => {
    if (request.routeOptions.url === PUSH_ROUTE) {
      rejected.inc({ collection: collectionOf(request), code: refusalCode(error) });
    }
    done();
  });

  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.url === STREAM_ROUTE) {
      openStreams += 1;
      request.raw.once('close', () => (openStreams -= 1));
    }
    done();
  });

  const metricsDigest =
    options.metricsToken === undefined ? undefined : digest(options.metricsToken);
  const requireScraper = (authorization: string | undefined) => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    if (metricsDigest !== undefined && timingSafeEqual(digest(token), metricsDigest)) return;
    try {
      options.requireAdmin(authorization);
    } catch {
      throw new HttpError(401, 'unauthorized', 'The metrics or administrator token is required.');
    }
  };

  app.get('/metrics', async (request, reply) => {
    requireScraper(request.headers.authorization);
    await refreshGauges();
    return reply
      .header('content-type', metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.metrics());
  });
}
