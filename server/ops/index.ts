// Server operations: GET /health (no token, no data) and GET /metrics (Prometheus, behind the
// metrics or administrator token). Registered on the root instance before the sync routes, so
// the metrics hooks see every sync request.
import type { FastifyInstance } from 'fastify';
import { registerHealth } from './health.js';
import { registerMetrics, type MetricsOptions } from './metrics.js';

export { serverVersion } from './version.js';
export type { Health } from './health.js';

export type OperationsOptions = Omit<MetricsOptions, 'version'> & {
  readonly version: string;
  readonly startedAt?: number;
};

export function registerOperations(app: FastifyInstance, options: OperationsOptions): void {
  registerHealth(app, {
    store: options.store,
    version: options.version,
    ...(options.startedAt === undefined ? {} : { startedAt: options.startedAt }),
  });
  registerMetrics(app, options);
}
