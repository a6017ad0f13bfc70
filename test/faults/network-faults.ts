// The network-fault run (issue #6 item 3, issue #4 "over poor connections"): a real server
// in a child process, N desks in their own processes, every request through the fault proxy
// (latency, drops, resets mid-request, duplicated requests, answers lost after the server
// committed, the server restarting). The desks check items in and move crates between
// libraries; then the faults stop, the desks sync until quiet, and the history check runs.
//
// The server-crash run is the same run with a clean network and the server SIGKILLed while
// the desks push (`crash: 'kill'`), then started again on the same data.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NO_FAULTS,
  seededRandom,
  startFaultProxy,
  type FaultPlan,
} from '../support/fault-proxy.js';
import {
  buildScenario,
  checkHistory,
  DeskProcess,
  ServerProcess,
  syncUntilQuiet,
  type HistoryReport,
} from './harness.js';

export interface SyncRunOptions {
  readonly seed: number;
  readonly desks: number;
  readonly scansPerDesk: number;
  /** The desk's pause between two scans (staff scan about one item a second). */
  readonly pauseMs: number;
  /** Faults while the desks work; none for the server-crash run. */
  readonly faults: FaultPlan;
  /** How many times the server goes down while the desks work. */
  readonly serverRestarts: number;
  /** `stop`: a clean restart (SIGTERM); `kill`: SIGKILL mid-push. */
  readonly crash: 'stop' | 'kill';
  /** Holds contested by desks of two libraries, not only of one (buildScenario). */
  readonly crossLibrary?: boolean;
  /** A PostgreSQL URL for the server, when it supports one; SQLite otherwise. */
  readonly database?: string;
  readonly quietTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface SyncRunReport extends HistoryReport {
  readonly seed: number;
  readonly desks: number;
  readonly serverRestarts: number;
  readonly faultCounts: Record<string, number>;
}

const CRATE_EVERY = 15;

export async function runSyncUnderFaults(options: SyncRunOptions): Promise<SyncRunReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed ^ 0x5eed);
  const scratch = mkdtempSync(join(tmpdir(), 'carrel-faults-'));
  const scenario = buildScenario(options.seed, options.desks, options.scansPerDesk, {
    crossLibrary: options.crossLibrary ?? false,
  });
  const server = new ServerProcess(
    join(scratch, 'server'),
    'admin-token-of-the-fault-run',
    options.database,
  );
  const desks: DeskProcess[] = [];
  let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
  try {
    await server.start();
    await server.importDocuments('libraries', scenario.libraries);
    await server.importDocuments('items', scenario.items);
    await server.importDocuments('holds', scenario.holds);
    proxy = await startFaultProxy({ target: server.url, seed: options.seed, plan: NO_FAULTS });
    log(
      `server ${server.url}, proxy ${proxy.url}: ${scenario.libraries.length} libraries, ` +
        `${scenario.items.length} items, ${scenario.holds.length} holds`,
    );

    // Desks start a few at a time: each is a Node process compiling TypeScript on 2 cores.
    for (let at = 0; at < scenario.desks.length; at += 4) {
      const batch = scenario.desks.slice(at, at + 4).map((plan, k) => {
        const dir = join(scratch, `desk-${at + k}`);
        mkdirSync(dir);
        return { desk: new DeskProcess(dir), plan };
      });
      await Promise.all(
        batch.map(async ({ desk, plan }) =>
          desk.enrol(proxy!.url, await server.enrolmentCode(plan.library), `desk ${desk.dataDir}`),
        ),
      );
      desks.push(...batch.map(({ desk }) => desk));
    }
    const unsettled = await syncUntilQuiet(desks, options.quietTimeoutMs ?? 120_000);
    if (unsettled.length > 0) throw new Error(`first sync: ${unsettled.join('; ')}`);
    log(`${desks.length} desks enrolled and synced; faults on`);

    proxy.setPlan(options.faults);
    const working = Promise.all(
      desks.map((desk, d) =>
        desk.send({
          cmd: 'work',
          barcodes: scenario.desks[d]!.barcodes,
          crateEvery: CRATE_EVERY,
          pauseMs: options.pauseMs,
        }),
      ),
    );
    // The server goes down at seeded moments while the desks work (or, if they finished
    // first, while they push what they recorded).
    let restarts = 0;
    const expectedMs = options.scansPerDesk * (options.pauseMs + 15);
    for (let r = 0; r < options.serverRestarts; r++) {
      await new Promise((done) =>
        setTimeout(done, (random() * expectedMs) / options.serverRestarts),
      );
      if (options.crash === 'kill') {
        await server.kill();
      } else {
        proxy.pause();
        await server.stop();
      }
      await new Promise((done) => setTimeout(done, 200 + random() * 800));
      await server.start();
      proxy.setTarget(server.url);
      proxy.resume();
      restarts += 1;
      log(`server ${options.crash === 'kill' ? 'killed' : 'restarted'} (${restarts})`);
    }
    await working;
    // The faults stay on until the plan's forced ones were all dealt out: desks that were
    // backing off after the restart may have sent nothing while they worked, and a run must
    // exercise every fault it claims to (asking them to sync makes the requests).
    const forcedBy = Date.now() + 60_000;
    while (proxy.forcedLeft > 0 && Date.now() < forcedBy) {
      await Promise.all(desks.map((desk) => desk.syncNow()));
    }
    proxy.setPlan(NO_FAULTS);
    log(
      `work done (${desks.reduce((n, desk) => n + desk.acks.length, 0)} scans); syncing until quiet`,
    );
    // Desks that never settle (a push refused for good) are a finding, not a crash of the
    // run: the history check runs anyway and reports them first.
    const stuck = await syncUntilQuiet(desks, options.quietTimeoutMs ?? 120_000);

    const dumped = [];
    for (const desk of desks) {
      const dumpFile = join(desk.dataDir, 'dump.json');
      await desk.send({ cmd: 'dump', file: dumpFile });
      await desk.close();
      dumped.push({ desk, dumpFile });
    }
    const history = await checkHistory(server.url, dumped);
    return {
      ...history,
      problems: [...stuck, ...history.problems],
      seed: options.seed,
      desks: desks.length,
      serverRestarts: restarts,
      faultCounts: { ...proxy.counts },
    };
  } finally {
    for (const desk of desks) desk.kill();
    await proxy?.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
