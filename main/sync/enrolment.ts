// Enrolment: a desk presents a one-time code from the consortium and gets its id, library
// and token from the server (POST {base}/enrol). Nothing at the desk changes unless the
// server said yes with an answer the desk can read.
import {
  SYNC_BASE_PATH,
  fail,
  ok,
  type DeskResult,
  type EnrolRequest,
  type EnrolResponse,
} from '../../shared/index.js';
import { wireErrorOf } from './server-link.js';

export interface Enrolment extends EnrolResponse {
  /** The server's base URL as stored: origin and path, no trailing slash. */
  readonly serverUrl: string;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const LIBRARY_CODE = /^[A-Za-z0-9_.-]{1,20}$/;

/**
 * The server's base URL in the one form the desk stores (so the replication's identity does
 * not depend on how staff typed it), or undefined for anything but a plain http(s) URL.
 * Credentials, queries and fragments are refused: they have no place in a base URL.
 */
export function normalizeServerUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return undefined;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function readEnrolResponse(answer: unknown): EnrolResponse | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const { deskId, token, library } = answer as Record<string, unknown>;
  if (typeof deskId !== 'string' || !ULID.test(deskId)) return undefined;
  if (typeof token !== 'string' || token.length < 16 || token.length > 500) return undefined;
  if (typeof library !== 'string' || !LIBRARY_CODE.test(library)) return undefined;
  return { deskId, token, library };
}

export async function requestEnrolment(args: {
  serverUrl: string;
  code: string;
  deskName: string;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}): Promise<DeskResult<Enrolment>> {
  const serverUrl = normalizeServerUrl(args.serverUrl);
  if (serverUrl === undefined) {
    return fail('invalid_arguments', 'The server address must be an http:// or https:// URL.');
  }
  const body: EnrolRequest = { code: args.code.trim(), deskName: args.deskName.trim() };
  let response: Response;
  try {
    response = await (args.fetchImpl ?? fetch)(`${serverUrl}${SYNC_BASE_PATH}/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(args.timeoutMs ?? 30_000),
    });
  } catch {
    return fail(
      'server_unreachable',
      `The consortium server at ${serverUrl} did not answer. Check the address and the network.`,
    );
  }
  const answer: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const wire = wireErrorOf(answer);
    const status = response.status;
    if (status >= 500 || status === 408 || status === 429 || status === 404) {
      return fail(
        'server_unreachable',
        `The consortium server at ${serverUrl} could not enrol desks just now (HTTP ${status}).`,
      );
    }
    return fail('enrol_refused', wire?.message ?? `The server refused the code (HTTP ${status}).`);
  }
  const enrolled = readEnrolResponse(answer);
  if (!enrolled) {
    return fail(
      'server_unreachable',
      `The server at ${serverUrl} answered something the desk cannot read: is it a Carrel server?`,
    );
  }
  return ok({ ...enrolled, serverUrl });
}
