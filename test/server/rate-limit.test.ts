// The rate limit on a real server over loopback, with its real SQLite files: a request with an
// enrolled, unrevoked desk's token counts against that desk; any other (no token, a made-up,
// malformed or revoked one) against its client's address, all of them together, so rotating
// made-up tokens buys no fresh budget. A small limit (rateLimitMax) is used up whole.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAdminTestServer, type AdminTestServer, type Answer } from './admin-support.js';

const LIMIT = 5;
type Refusal = { error?: { code?: string } };

let admin: AdminTestServer;
beforeEach(async () => {
  admin = await startAdminTestServer({ rateLimitMax: LIMIT });
});
afterEach(async () => {
  await admin.close();
});

/** A desk of NORTH, enrolled through the enrolment route (its own budget, by address). */
async function enrolDesk(name: string): Promise<{ deskId: string; token: string }> {
  const code = await admin.server.createEnrolmentCode('NORTH');
  const enrolled = await admin.call<{ deskId: string; token: string }>(
    'POST',
    '/v1/enrol',
    { json: { code, deskName: name } },
    null,
  );
  expect(enrolled.status).toBe(200);
  return enrolled.body;
}

/** A desk's pull (or one with whatever token is given, or none). */
const pull = (token: string | null): Promise<Answer<Refusal>> =>
  admin.call<Refusal>('GET', '/v1/sync/items/pull?limit=1', undefined, token);

/** A token of a desk's shape that no desk has. */
const madeUp = () => randomBytes(32).toString('base64url');

const remaining = (answer: Answer) => Number(answer.headers.get('x-ratelimit-remaining'));

/** Uses up the address's budget with requests that carry no desk's token: none is limited. */
async function exhaustAddress(): Promise<void> {
  for (const token of [null, 'short', ...Array.from({ length: LIMIT - 2 }, madeUp)]) {
    expect((await pull(token)).status).toBe(401);
  }
}

function expectLimited(answer: Answer<Refusal>): void {
  expect(answer.status).toBe(429);
  expect(answer.body.error?.code).toBe('rate_limited');
}

describe('the rate limit', () => {
  it('counts each enrolled desk on its own, apart from the address it shares', async () => {
    const first = await enrolDesk('NORTH desk 1');
    const second = await enrolDesk('NORTH desk 2');
    // Another client at the desks' address (a library's NAT) has used up the address's budget.
    await exhaustAddress();
    expectLimited(await pull(madeUp()));

    for (let sent = 0; sent < LIMIT; sent++) {
      const answer = await pull(first.token);
      expect(answer.status).toBe(200);
      expect(remaining(answer)).toBe(LIMIT - 1 - sent);
    }
    expectLimited(await pull(first.token));

    const served = await pull(second.token);
    expect(served.status).toBe(200);
    expect(remaining(served)).toBe(LIMIT - 1);
  });

  it('limits made-up tokens from one address together (429, not 401), not the desks', async () => {
    const desk = await enrolDesk('NORTH desk 1');
    for (let sent = 0; sent < LIMIT; sent++) {
      const answer = await pull(madeUp());
      expect(answer.status).toBe(401);
      expect(remaining(answer)).toBe(LIMIT - 1 - sent);
    }
    for (let sent = 0; sent < 3; sent++) expectLimited(await pull(madeUp()));
    // Malformed tokens and none at all count against the same address.
    expectLimited(await pull('short'));
    expectLimited(await pull(null));
    expectLimited(await admin.call<Refusal>('GET', '/v1/health', undefined, null));

    // The desk's own budget is whole.
    const served = await pull(desk.token);
    expect(served.status).toBe(200);
    expect(remaining(served)).toBe(LIMIT - 1);
  });

  it("counts a revoked desk's token against its address", async () => {
    const revoked = await enrolDesk('NORTH desk 1');
    const other = await enrolDesk('NORTH desk 2');
    // The desk uses up its own budget (and is remembered as a desk) before it is revoked.
    for (let sent = 0; sent < LIMIT; sent++) expect((await pull(revoked.token)).status).toBe(200);
    expectLimited(await pull(revoked.token));
    const revoking = await admin.call('POST', `/v1/admin/desks/${revoked.deskId}/revoke`);
    expect(revoking.status).toBe(200);

    // Now its requests draw on the address's budget, which is whole: refused as revoked.
    for (let sent = 0; sent < LIMIT; sent++) {
      const answer = await pull(revoked.token);
      expect(answer.status).toBe(403);
      expect(answer.body.error?.code).toBe('revoked');
      expect(remaining(answer)).toBe(LIMIT - 1 - sent);
    }
    expectLimited(await pull(revoked.token));
    // That budget is the address's: a made-up token or none is limited with it.
    expectLimited(await pull(madeUp()));
    expectLimited(await pull(null));

    const served = await pull(other.token);
    expect(served.status).toBe(200);
    expect(remaining(served)).toBe(LIMIT - 1);
  });
});
