// The stable code every refused request answers with ({ error: { code, message } }), and
// the metrics count refusals by.
import { HttpError } from './sync/sync-routes.js';

/** A refused request's code: the server's HttpError code, else by Fastify's status. */
export function refusalCode(error: Error & { statusCode?: number; validation?: unknown }): string {
  if (error instanceof HttpError) return error.code;
  if (error.validation !== undefined) return 'invalid_request';
  const status = error.statusCode ?? 500;
  if (status >= 500) return 'internal';
  if (status === 429) return 'rate_limited';
  // Past the body limit, compressed or not (bodyLimit, and a gzipped body inflating past it).
  if (status === 413) return 'body_too_large';
  return 'bad_request';
}
