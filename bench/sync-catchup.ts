/**
 * bench:sync, part 2: a desk catching up after an outage over a poor link. One real desk core
 * (its own process) enrols with the server (its own process) through the fault proxy of the
 * sync tests (test/support/fault-proxy.ts) and a byte-counting relay in front of it, syncs its
 * library, then records `scans` check-ins while the proxy is down (as a server that is away).
 * Then the link comes back with 300 ms round trip on every request (150 ms each way) and 5 %
 * of requests dropped (the desk's connection reset, the server never sees it), and the desk
 * syncs until its status is online with nothing pending. Timed from the link's return.
 *
 * Bytes per scan: every byte through the relay in both directions during the catch-up
 * (headers, bodies, the event stream, what the desk pulls back), divided by the scans.
 *
 * Four scans in five are the library's own items (reshelve: the check-in and the item's new
 * status), one in five other libraries' items returned here, which the desk has no record of
 * (back to the owner by barcode prefix, in a crate: the check-in, a crate scan, and the
 * crates staff seal when full).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultProxy, type FaultKind } from '../test/support/fault-proxy.js';
import type { SyncStatus, WireDocument } from '../shared/index.js';
import {
  enrolmentCode,
  importDocuments,
  itemAt,
  libraries,
  startByteCounter,
  startDeskProcess,
  startServerProcess,
  value,
  type DeskProcess,
} from './sync-support.js';

const LIBRARIES = 10;

export interface CatchupResult {
  readonly scans: number;
  readonly seconds: number;
  readonly bytes_per_scan: number;
}

const inSync = (status: SyncStatus) => status.state === 'online' && status.pending === 0;

/** Polls the desk's status (and asks for a sync round every 2 s) until `done` holds. */
async function syncUntil(
  desk: DeskProcess,
  done: (status: SyncStatus) => boolean,
  what: string,
  timeoutMs: number,
): Promise<SyncStatus> {
  const started = performance.now();
  let lastNow = 0;
  for (;;) {
    const now = performance.now() - lastNow >= 2_000;
    if (now) lastNow = performance.now();
    const status = value(await (now ? desk.client.sync.now({}) : desk.client.sync.status({})));
    if (done(status)) return status;
    if (status.state === 'error' && status.error?.code !== 'rate_limited') {
      throw new Error(`${what}: ${JSON.stringify(status.error)}`);
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`${what}: still ${JSON.stringify(status)} after ${timeoutMs / 1000} s`);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

/** How many live check-ins of `deskId` the server holds, read as the desk's token pulls. */
async function checkinsOnServer(serverUrl: string, token: string, deskId: string) {
  let after = 0;
  let count = 0;
  for (;;) {
    const response = await fetch(`${serverUrl}/v1/sync/checkins/pull?after=${after}&limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const page = (await response.json()) as {
      documents: WireDocument[];
      checkpoint: { seq: number };
    };
    count += page.documents.filter((doc) => !doc._deleted && doc['deskId'] === deskId).length;
    after = page.checkpoint.seq;
    if (page.documents.length < 1000) return count;
  }
}

export async function benchCatchup(dir: string, scans: number): Promise<CatchupResult> {
  // Item n's barcode carries library n % LIBRARIES's prefix: the library's own items are
  // n = 10k, the others' n = 10k + their library.
  const own = Math.ceil((scans * 4) / 5);
  const items = Array.from({ length: scans }, (_, k) => {
    if (k < own) return itemAt(k * LIBRARIES, LIBRARIES, 0);
    const owner = 1 + (k % (LIBRARIES - 1));
    return itemAt(k * LIBRARIES + owner, LIBRARIES, owner);
  });
  const server = await startServerProcess(join(dir, 'server'));
  const proxy = await startFaultProxy({ target: server.url, seed: 4 });
  const relay = await startByteCounter(proxy.url);
  let desk: DeskProcess | undefined;
  try {
    await importDocuments(server.url, 'libraries', libraries(LIBRARIES));
    await importDocuments(server.url, 'items', items);
    desk = await startDeskProcess(join(dir, 'desk'));
    const code = await enrolmentCode(server.url, 'L00');
    value(await desk.client.sync.enrol({ serverUrl: relay.url, code, deskName: 'Catch-up' }));
    await syncUntil(desk, inSync, 'the first sync', 120_000);
    value(await desk.client.staff.signIn({ initials: 'BN' }));

    // The server is away (the proxy refuses every connection); the desk keeps checking in.
    proxy.pause();
    let started = performance.now();
    const routes = new Map<string, number>();
    for (const item of items) {
      const answer = value(await desk.client.checkin.scan({ barcode: item.barcode }));
      routes.set(answer.outcome.route, (routes.get(answer.outcome.route) ?? 0) + 1);
      if (answer.crate && answer.crate.count >= answer.crate.capacity) {
        value(await desk.client.crates.seal({ crateId: answer.crate.crateId }));
      }
    }
    const offline = await syncUntil(
      desk,
      (status) => status.state === 'offline' && status.pending > 0,
      'the desk seeing its scans pending',
      60_000,
    );
    console.log(
      `  ${scans} scans recorded offline in ${((performance.now() - started) / 1000).toFixed(1)} s (${[...routes].map(([route, n]) => `${route} ${n}`).join(', ')}); status ${offline.state}, ${offline.pending} pending${offline.pending >= 5_000 ? '' : ''}`,
    );

    // The link returns, slow and lossy; the desk catches up.
    const before: Record<FaultKind, number> = { ...proxy.counts };
    proxy.setPlan({ latency: 0.95, drop: 0.05, latencyMs: [150, 150] });
    relay.reset();
    proxy.resume();
    started = performance.now();
    await syncUntil(desk, inSync, 'the catch-up', 600_000);
    const seconds = (performance.now() - started) / 1000;
    const bytes = relay.bytes.up + relay.bytes.down;
    const requests = Object.entries(proxy.counts).map(
      ([kind, n]) => [kind, n - before[kind as FaultKind]] as const,
    );

    const settings = JSON.parse(readFileSync(join(dir, 'desk', 'desk.json'), 'utf8')) as {
      sync: { token: string; deskId: string };
    };
    const onServer = await checkinsOnServer(server.url, settings.sync.token, settings.sync.deskId);
    if (onServer !== scans) {
      throw new Error(`the server holds ${onServer} of the desk's ${scans} check-ins`);
    }
    console.log(
      `  catch-up: ${seconds.toFixed(1)} s to online with nothing pending; the server holds all ${scans} check-ins`,
    );
    console.log(
      `  link: ${requests
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(
          ', ',
        )} requests; ${Math.round(relay.bytes.up / 1024)} KiB up, ${Math.round(relay.bytes.down / 1024)} KiB down = ${Math.round(bytes / scans)} bytes per scan (target <= 200: ${bytes / scans <= 200 ? 'met' : 'MISSED'})`,
    );
    return {
      scans,
      seconds: Math.round(seconds * 1000) / 1000,
      bytes_per_scan: Math.round(bytes / scans),
    };
  } finally {
    await desk?.close();
    await relay.close();
    await proxy.close();
    await server.close();
  }
}
