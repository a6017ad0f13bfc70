// GET /health: for systemd watchdogs, load balancers and uptime checks. No token (a probe
// must not hold a secret) and therefore no data: whether the store answers, the version and
// the uptime, nothing about libraries, desks or documents.
import type { FastifyInstance } from 'fastify';
import type { ReplicationStore } from '../store/index.js';

export interface Health {
  readonly status: 'ok' | 'unavailable';
  readonly store: 'reachable' | 'unreachable';
  readonly version: string;
  readonly uptimeSeconds: number;
}

/** A store slower than this counts as unreachable: a probe must answer, not hang. */
const STORE_TIMEOUT_MS = 2000;

export function registerHealth(
  app: FastifyInstance,
  options: { store: ReplicationStore; version: string; startedAt?: number },
): void {
  const startedAt = options.startedAt ?? Date.now();

  /** One cheap read through the store's own interface: a real round trip on PostgreSQL. */
  async function storeAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), STORE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        options.store.latest('libraries').then(
          () => true,
          () => false,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  app.get('/health', async (_request, reply) => {
    const reachable = await storeAnswers();
    const health: Health = {
      status: reachable ? 'ok' : 'unavailable',
      store: reachable ? 'reachable' : 'unreachable',
      version: options.version,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    };
    return reply
      .status(reachable ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(health);
  });
}
