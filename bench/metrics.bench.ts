/**
 * What a Prometheus scrape of GET /metrics costs as crates pile up. The crates-waiting gauges
 * read every crate through the store, but only after the crates collection changed; so this
 * times scrapes with no crate changed in between and scrapes after a crate change, for a
 * consortium of LIBRARIES libraries and CRATES crates (a quarter sealed, a quarter received,
 * half closed). Prints p50/p95 and writes bench/out/metrics.json. Not a test: no target.
 *
 *   node --import tsx bench/metrics.bench.ts            # 20 libraries, 20,000 crates
 *   BENCH_QUICK=1 node --import tsx bench/metrics.bench.ts   # 20 libraries, 2,000 crates
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ulid } from 'ulid';
import { startConsortiumServer } from '../server/app.js';

const LIBRARIES = 20;
const CRATES = process.env['BENCH_QUICK'] ? 2_000 : 20_000;
const SCRAPES = 30;
const TOKEN = 'bench-admin-token-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'carrel-metrics-bench-'));
const server = await startConsortiumServer({ dataDir: dir, adminToken: TOKEN });
try {
  const codes = Array.from({ length: LIBRARIES }, (_, i) => `L${String(i).padStart(2, '0')}`);
  for (const [i, code] of codes.entries()) {
    const response = await fetch(`${server.url}/v1/admin/libraries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        code,
        name: `Library ${code}`,
        timeZone: 'America/Chicago',
        barcodePrefixes: [String(31000 + i)],
      }),
    });
    if (response.status !== 201) throw new Error(await response.text());
  }
  const statuses = ['sealed', 'received', 'closed', 'closed'] as const;
  const at = new Date(Date.now() - 86_400_000).toISOString();
  for (let start = 0; start < CRATES; start += 500) {
    const batch = Array.from({ length: Math.min(500, CRATES - start) }, (_, j) => {
      const n = start + j;
      const status = statuses[n % statuses.length] ?? 'closed';
      return {
        id: ulid(),
        labelBarcode: `CRATE-${n}`,
        origin: codes[n % LIBRARIES] ?? 'L00',
        destination: codes[(n + 1 + (n % 7)) % LIBRARIES] ?? 'L01',
        status,
        openedAt: at,
        sealedAt: at,
        ...(status === 'sealed' ? {} : { receivedAt: at }),
        ...(status === 'closed' ? { closedAt: at } : {}),
        counts: { packed: 10, received: 0, missing: 0, extra: 0 },
        discrepancies: [],
        updatedAt: at,
        deskId: 'server',
      };
    });
    await server.importDocuments('crates', batch);
  }

  /** Times SCRAPES scrapes (after 3 untimed), running `before` untimed ahead of each. */
  async function scrapes(before: () => Promise<void>) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES + 3; i++) {
      await before();
      const started = performance.now();
      const response = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}`, 'accept-encoding': 'identity' },
      });
      const text = await response.text();
      if (i >= 3) times.push(performance.now() - started);
      bytes = text.length;
    }
    times.sort((x, y) => x - y);
    const quantile = (q: number) =>
      Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0) * 10) / 10;
    return { p50: quantile(0.5), p95: quantile(0.95), bytes };
  }

  // No crate changed since the last scrape: the waiting crates come from the metrics' cache.
  const unchanged = await scrapes(() => Promise.resolve());
  // A crate changed before every scrape: each scrape reads every crate again.
  let extra = 0;
  const changed = await scrapes(() =>
    server.importDocuments('crates', [
      {
        id: ulid(),
        labelBarcode: `CRATE-EXTRA-${extra++}`,
        origin: 'L00',
        destination: 'L01',
        status: 'sealed',
        openedAt: at,
        sealedAt: at,
        counts: { packed: 1, received: 0, missing: 0, extra: 0 },
        discrepancies: [],
        updatedAt: at,
        deskId: 'server',
      },
    ]),
  );
  const result = {
    libraries: LIBRARIES,
    crates: CRATES,
    unchanged_p50_ms: unchanged.p50,
    unchanged_p95_ms: unchanged.p95,
    crate_changed_p50_ms: changed.p50,
    crate_changed_p95_ms: changed.p95,
    response_kb: Math.round(changed.bytes / 102.4) / 10,
  };
  console.table([result]);
  mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'out', 'metrics.json'), JSON.stringify(result, null, 2));
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
