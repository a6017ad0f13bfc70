// What the network-fault and server-crash suites share: a consortium made from a seed
// (libraries, items, title holds contested by several desks), the server and the desks as
// child processes, "sync until quiet", and the history check run at the end:
//
//  - every acknowledged scan is on the server exactly once, with the outcome it was given
//    (a lost push is `lost`; a retried push stored twice under new ids is `duplicated`);
//  - every desk ends equal to the server for its library's scope;
//  - every contested hold (captured by two or more desks) has one capture, the earliest
//    (DESIGN.md: "the earlier capture wins").
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  replicatedCollections,
  sameValue,
  type CheckinOutcome,
  type DeskCollectionName,
  type Hold,
  type Item,
  type Library,
  type SyncStatus,
  type WireDocument,
} from '../../shared/index.js';
import { seededRandom } from '../support/fault-proxy.js';
import { keyOf, serverView, type View } from '../support/server-view.js';
import { hold, item, itemBarcode, library } from '../support/desk.js';

const fixtures = join(import.meta.dirname, 'fixtures');

// ---- The desk child's protocol --------------------------------------------------------------

export type DeskCommand =
  | { cmd: 'enrol'; serverUrl: string; code: string; deskName: string }
  | { cmd: 'sync' }
  | { cmd: 'changes' }
  | { cmd: 'work'; barcodes: readonly string[]; crateEvery: number; pauseMs: number }
  | { cmd: 'crates' }
  | { cmd: 'dump'; file: string }
  | { cmd: 'close' };

export interface Ack {
  readonly checkinId: string;
  readonly barcode: string;
  readonly scannedAt: string;
  readonly outcome: CheckinOutcome;
}

export type DeskMessage =
  | { type: 'ready' }
  | { type: 'enrolled'; deskId: string; library: string }
  | ({ type: 'ack' } & Ack)
  | { type: 'refused'; code: string }
  | { type: 'status'; status: SyncStatus }
  /** How many document changes the desk's replicated collections saw since it started. */
  | { type: 'changes'; count: number }
  | { type: 'done' }
  | { type: 'closed' }
  | { type: 'error'; message: string };

type Answer = Exclude<DeskMessage, { type: 'ack' | 'refused' | 'ready' }>;

/** One desk in its own process; commands run in order, each answered by one message. */
export class DeskProcess {
  readonly acks: Ack[] = [];
  readonly refusals: string[] = [];
  readonly stderr: string[] = [];
  deskId = '';
  library = '';
  token = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (m: Answer) => void; reject: (e: Error) => void }[] = [];
  private readonly ready: Promise<void>;
  private readonly exited: Promise<void>;

  constructor(readonly dataDir: string) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', join(fixtures, 'fault-desk.ts'), dataDir],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk.toString());
      if (this.stderr.length > 200) this.stderr.splice(0, 100);
    });
    this.exited = new Promise((done) => this.child.on('close', () => done()));
    this.ready = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        const message = JSON.parse(line) as DeskMessage;
        if (message.type === 'ready') resolve();
        else if (message.type === 'ack') this.acks.push(message);
        else if (message.type === 'refused') this.refusals.push(message.code);
        else {
          const waiter = this.waiting.shift();
          if (message.type === 'error') waiter?.reject(new Error(message.message));
          else waiter?.resolve(message);
        }
      });
      this.child.on('close', (code) => {
        const error = new Error(`desk ${dataDir} ended (${code}): ${this.stderr.join('')}`);
        reject(error);
        for (const waiter of this.waiting.splice(0)) waiter.reject(error);
      });
    });
  }

  async send(command: DeskCommand): Promise<Answer> {
    await this.ready;
    const answer = new Promise<Answer>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return answer;
  }

  async enrol(serverUrl: string, code: string, deskName: string): Promise<void> {
    const answer = await this.send({ cmd: 'enrol', serverUrl, code, deskName });
    if (answer.type !== 'enrolled') throw new Error(`enrol answered ${answer.type}`);
    this.deskId = answer.deskId;
    this.library = answer.library;
    const settings = JSON.parse(readFileSync(join(this.dataDir, 'desk.json'), 'utf8')) as {
      sync: { token: string };
    };
    this.token = settings.sync.token;
  }

  async syncNow(): Promise<SyncStatus> {
    const answer = await this.send({ cmd: 'sync' });
    if (answer.type !== 'status') throw new Error(`sync answered ${answer.type}`);
    return answer.status;
  }

  async changeCount(): Promise<number> {
    const answer = await this.send({ cmd: 'changes' });
    if (answer.type !== 'changes') throw new Error(`changes answered ${answer.type}`);
    return answer.count;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.send({ cmd: 'close' }).catch(() => undefined);
    await this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

// ---- The server child --------------------------------------------------------------------

/** The consortium server in a child process, restartable on the same data and port. */
export class ServerProcess {
  url = '';
  private child: ChildProcessWithoutNullStreams | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly stderr: string[] = [];

  constructor(
    readonly dataDir: string,
    readonly adminToken: string,
    readonly database?: string,
  ) {}

  async start(): Promise<void> {
    const port = this.url === '' ? '0' : new URL(this.url).port;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(fixtures, 'server-process.ts'),
        this.dataDir,
        port,
        this.adminToken,
        ...(this.database ? [this.database] : []),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((done) => child.on('close', () => done()));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('close', () => reject(new Error(`server ended: ${this.stderr.join('')}`)));
    });
    this.url = (JSON.parse(first) as { url: string }).url;
  }

  /** SIGKILL: no clean close, whatever was in flight is cut. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the server closes its streams and store, as an administrator's restart. */
  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await this.exited;
  }

  async admin<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async importDocuments(collection: DeskCollectionName, docs: readonly object[]): Promise<void> {
    for (let at = 0; at < docs.length; at += 2000) {
      await this.admin(`/v1/admin/json-import/${collection}`, {
        documents: docs.slice(at, at + 2000),
      });
    }
  }

  /** The library must have been imported: the route refuses a code for an unknown one. */
  async enrolmentCode(library: string): Promise<string> {
    return (await this.admin<{ code: string }>('/v1/admin/desks/enrolment-codes', { library }))
      .code;
  }
}

// ---- The consortium made from a seed ------------------------------------------------------

export interface Scenario {
  readonly libraries: Library[];
  readonly items: Item[];
  readonly holds: Hold[];
  /** Per desk: its library and the barcodes it scans, in order. */
  readonly desks: { library: string; barcodes: string[] }[];
}

/**
 * `desks` desks over max(2, desks/4) libraries (round robin). Each desk scans its own items
 * (reshelve, or a hold), items of the previous desk's library that it does not know (they go
 * home in a crate), and copies of titles that two desks capture for the same hold at once
 * (see `crossLibrary` below). About one scan in twenty is a repeat.
 */
export function buildScenario(
  seed: number,
  deskCount: number,
  scansPerDesk: number,
  options: { crossLibrary?: boolean } = {},
): Scenario {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const libraryCount = Math.max(2, Math.ceil(deskCount / 4));
  const libraries = Array.from({ length: libraryCount }, (_, i) =>
    library(`L${String(i).padStart(2, '0')}`, `339${10 + i}`),
  );
  const prefixOf = new Map(libraries.map((lib) => [lib.code, lib.barcodePrefixes[0] ?? '']));
  const items: Item[] = [];
  const holds: Hold[] = [];
  const desks = Array.from({ length: deskCount }, (_, d) => ({
    library: libraries[d % libraryCount]!.code,
    barcodes: [] as string[],
  }));
  const own = Math.ceil(scansPerDesk * 0.55);
  const away = Math.ceil(scansPerDesk * 0.3);
  const contested = Math.max(1, Math.ceil(scansPerDesk * 0.05));
  for (const [d, desk] of desks.entries()) {
    const prefix = prefixOf.get(desk.library) ?? '';
    for (let k = 0; k < own; k++) {
      const barcode = itemBarcode(prefix, d * 10_000 + k);
      items.push(item(barcode, desk.library, { bibId: `bib-${barcode}` }));
      desk.barcodes.push(barcode);
    }
    // Items of this desk's library that the next desk (another library) finds on its shelves.
    const next = desks[(d + 1) % deskCount]!;
    for (let k = 0; k < away; k++) {
      const barcode = itemBarcode(prefix, d * 10_000 + 5_000 + k);
      items.push(item(barcode, desk.library, { bibId: `bib-${barcode}` }));
      if (next.library !== desk.library) next.barcodes.push(barcode);
    }
    // Titles with two copies here, each with one title hold picked up here: two desks of
    // this library capture them for the same hold at once. With `crossLibrary`, the second
    // copy belongs to the next library, which pulls the hold: two libraries capture it.
    const sibling = desks.find((other, o) => o !== d && other.library === desk.library);
    const rival = options.crossLibrary ? next : sibling;
    for (let k = 0; k < contested && rival; k++) {
      const bibId = `bib-contested-${d}-${k}`;
      const here = itemBarcode(prefix, d * 10_000 + 8_000 + k);
      const there = itemBarcode(prefixOf.get(rival.library) ?? '', d * 10_000 + 9_000 + k);
      items.push(item(here, desk.library, { bibId }), item(there, rival.library, { bibId }));
      holds.push(hold(bibId, desk.library, { pullLibrary: rival.library }));
      desk.barcodes.push(here);
      rival.barcodes.push(there);
    }
  }
  // A few title holds on own items picked up elsewhere: captured and sent in crates.
  for (const desk of desks) {
    for (let k = 0; k < Math.ceil(scansPerDesk * 0.03); k++) {
      const barcode = pick(desk.barcodes);
      const owned = items.find((it) => it.barcode === barcode && it.owner === desk.library);
      const pickup = pick(libraries.filter((lib) => lib.code !== desk.library)).code;
      if (owned) holds.push(hold(owned.bibId, pickup, { pullLibrary: desk.library }));
    }
  }
  for (const desk of desks) {
    // Shuffle (Fisher-Yates), then repeat about one scan in twenty.
    const list = desk.barcodes;
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const repeats = list.filter(() => random() < 0.05);
    for (const barcode of repeats) list.splice(Math.floor(random() * list.length), 0, barcode);
  }
  return { libraries, items, holds, desks };
}

// ---- Sync until quiet, and the history check -------------------------------------------------

/**
 * Asks every desk to sync until two rounds in a row are quiet, and answers the desks that
 * never settled, as sentences (none: quiet). A round is every desk's "sync now", then every
 * desk unpacking and sealing its crates, then a pause; it is quiet when every desk's sync
 * ended online with nothing pending and no desk's documents changed since the round before
 * ended (its own writes, pulled ones, resolved conflicts). After two quiet rounds nothing was
 * pending anywhere when the second began and nothing was written during it, so no push
 * changed the server then, and every desk's pull in it brought nothing new: every desk holds
 * the server's state.
 */
export async function syncUntilQuiet(
  desks: readonly DeskProcess[],
  timeoutMs: number,
): Promise<string[]> {
  const started = Date.now();
  const changeCounts = () => Promise.all(desks.map((desk) => desk.changeCount()));
  let counts = await changeCounts();
  let quiet = 0;
  let last: SyncStatus[] = [];
  while (quiet < 2) {
    if (Date.now() - started > timeoutMs) {
      return last.flatMap((status, d) =>
        status.state === 'online' && status.pending === 0
          ? []
          : [
              `${desks[d]?.dataDir ?? d} never settled within ${timeoutMs} ms: ${status.state}, ` +
                `${status.pending} pending, ${status.error?.code ?? ''} ${status.error?.message ?? ''}`,
            ],
      );
    }
    last = await Promise.all(desks.map((desk) => desk.syncNow()));
    const settled = last.every((status) => status.state === 'online' && status.pending === 0);
    // Crates that arrived by now are unpacked and full ones sealed, as staff would; what
    // that writes makes the round a busy one.
    for (const desk of desks) await desk.send({ cmd: 'crates' });
    // A desk can still write in reply to what it just pulled (a lost capture is re-routed
    // 300 ms after the holds change): wait that out, so the write falls in this round.
    await new Promise((done) => setTimeout(done, 500));
    const now = await changeCounts();
    const unchanged = now.every((count, d) => count === counts[d]);
    counts = now;
    quiet = settled && unchanged ? quiet + 1 : 0;
  }
  return [];
}

/** Differences between a desk's documents and the server's for its scope, as sentences. */
export function divergence(desk: View, server: View, deskId: string, label: string): string[] {
  const problems: string[] = [];
  for (const name of replicatedCollections) {
    const local = new Map((desk.get(name) ?? []).map((doc) => [keyOf(name, doc), doc]));
    const remote = new Map((server.get(name) ?? []).map((doc) => [keyOf(name, doc), doc]));
    for (const [key, doc] of remote) {
      if (doc._deleted) {
        if (local.has(key)) problems.push(`${label}: ${name}/${key} deleted on the server`);
        continue;
      }
      if (!local.has(key)) problems.push(`${label}: ${name}/${key} missing at the desk`);
      else if (!sameValue(local.get(key), doc)) {
        problems.push(`${label}: ${name}/${key} differs from the server`);
      }
    }
    for (const [key, doc] of local) {
      if (remote.has(key)) continue;
      problems.push(
        doc['deskId'] === deskId
          ? `${label}: ${name}/${key} written here never reached the server`
          : `${label}: ${name}/${key} at the desk is not in its scope on the server`,
      );
    }
  }
  return problems;
}

export interface HistoryReport {
  readonly acknowledged: number;
  /** Acknowledged scans missing on the server, or there with another outcome. */
  readonly lost: number;
  /** Check-ins on the server beyond one per acknowledged scan. */
  readonly duplicated: number;
  readonly contestedHolds: number;
  /** Check-ins the desks recorded to re-route the items of lost captures. */
  readonly reroutes: number;
  /** Lost captures whose desk was told (re-routed, or its item already gone in a crate). */
  readonly losersTold: number;
  readonly problems: string[];
}

/** Runs the history check over closed desks (each dumped its store to `dumpFile`). */
export async function checkHistory(
  serverUrl: string,
  desks: readonly { desk: DeskProcess; dumpFile: string }[],
): Promise<HistoryReport> {
  const problems: string[] = [];
  const views = new Map<string, View>();
  for (const { desk } of desks) {
    if (!views.has(desk.library)) views.set(desk.library, await serverView(serverUrl, desk.token));
  }
  for (const { desk, dumpFile } of desks) {
    const dumped = JSON.parse(readFileSync(dumpFile, 'utf8')) as Record<string, WireDocument[]>;
    const view: View = new Map(replicatedCollections.map((name) => [name, dumped[name] ?? []]));
    problems.push(...divergence(view, views.get(desk.library)!, desk.deskId, desk.dataDir));
  }

  const serverCheckins = new Map<string, WireDocument>();
  const holds = new Map<string, WireDocument>();
  for (const view of views.values()) {
    for (const doc of view.get('checkins') ?? []) serverCheckins.set(String(doc['id']), doc);
    for (const doc of view.get('holds') ?? []) {
      if (!doc._deleted) holds.set(String(doc['id']), doc);
    }
  }
  let acknowledged = 0;
  let lost = 0;
  const ackedIds = new Set<string>();
  const captures = new Map<
    string,
    { barcode: string; at: string; deskId: string; checkinId: string; crateId?: string }[]
  >();
  const crates = new Map<string, WireDocument>();
  for (const view of views.values()) {
    for (const doc of view.get('crates') ?? []) crates.set(String(doc['id']), doc);
  }
  for (const { desk } of desks) {
    for (const ack of desk.acks) {
      acknowledged += 1;
      ackedIds.add(ack.checkinId);
      const stored = serverCheckins.get(ack.checkinId);
      if (
        !stored ||
        stored['barcode'] !== ack.barcode ||
        !sameValue(stored['outcome'], ack.outcome)
      ) {
        lost += 1;
        problems.push(`scan ${ack.checkinId} of ${desk.dataDir} is not on the server as answered`);
      }
      const holdId = ack.outcome.holdId;
      if (holdId && !ack.outcome.transitReceived) {
        const list = captures.get(holdId) ?? [];
        list.push({
          barcode: ack.barcode,
          at: ack.scannedAt,
          deskId: desk.deskId,
          checkinId: ack.checkinId,
          ...(ack.outcome.crateId === undefined ? {} : { crateId: ack.outcome.crateId }),
        });
        captures.set(holdId, list);
      }
    }
  }
  // The same scan stored twice: one desk, one barcode, one instant, two ids.
  const seen = new Set<string>();
  let duplicated = 0;
  const reroutes = new Set<string>();
  for (const doc of serverCheckins.values()) {
    // A desk re-routes the item of a capture it lost (main/checkin/capture-reconcile.ts) with
    // a check-in of its own, once per lost capture: not a scan, but never twice.
    const rerouteOf = doc['rerouteOf'];
    if (typeof rerouteOf === 'string') {
      if (reroutes.has(rerouteOf)) {
        duplicated += 1;
        problems.push(`check-in ${rerouteOf} was re-routed twice`);
      }
      reroutes.add(rerouteOf);
      continue;
    }
    const key = `${String(doc['deskId'])}|${String(doc['barcode'])}|${String(doc['scannedAt'])}`;
    if (seen.has(key) || !ackedIds.has(String(doc['id']))) {
      duplicated += 1;
      const outcome = doc['outcome'] as CheckinOutcome | undefined;
      problems.push(
        `check-in ${String(doc['id'])} on the server (${outcome?.route ?? '?'}` +
          `${seen.has(key) ? ', same desk, barcode and time as another' : ''}) was never acknowledged`,
      );
    }
    seen.add(key);
  }
  let contestedHolds = 0;
  for (const [holdId, list] of captures) {
    if (new Set(list.map((capture) => capture.barcode)).size < 2) continue;
    contestedHolds += 1;
    const first = [...list].sort((a, b) =>
      a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.deskId < b.deskId ? -1 : 1,
    )[0]!;
    const stored = holds.get(holdId);
    if (!stored) problems.push(`contested hold ${holdId} is not on the server`);
    else if (stored['capturedItemBarcode'] !== first.barcode || stored['capturedAt'] !== first.at) {
      problems.push(
        `contested hold ${holdId}: the server keeps ${String(stored['capturedItemBarcode'])} at ` +
          `${String(stored['capturedAt'])}, the earliest capture was ${first.barcode} at ${first.at}`,
      );
    }
  }
  // The desks that lost were told: each losing capture was routed again (the desk emits
  // holds.captureLost with that re-routing), unless its item had already left in a sealed
  // crate (then the desk is told without a re-routing; the library it reaches routes it) or
  // the desk scanned the item again later anyway.
  const rescanned = new Set<string>();
  for (const { desk } of desks) {
    const latest = new Map<string, string>();
    for (const ack of desk.acks) latest.set(ack.barcode, ack.checkinId);
    for (const ack of desk.acks) {
      if (latest.get(ack.barcode) !== ack.checkinId) rescanned.add(ack.checkinId);
    }
  }
  let told = 0;
  for (const [holdId, list] of captures) {
    const stored = holds.get(holdId);
    if (!stored || new Set(list.map((capture) => capture.barcode)).size < 2) continue;
    for (const capture of list) {
      if (capture.barcode === stored['capturedItemBarcode']) continue;
      const crate = capture.crateId === undefined ? undefined : crates.get(capture.crateId);
      const left = crate !== undefined && crate['status'] !== 'open';
      if (reroutes.has(capture.checkinId) || left || rescanned.has(capture.checkinId)) {
        told += 1;
      } else {
        problems.push(
          `contested hold ${holdId}: the capture of ${capture.barcode} by ${capture.deskId} ` +
            'lost, and that desk never routed the item again',
        );
      }
    }
  }
  return {
    acknowledged,
    lost,
    duplicated,
    contestedHolds,
    reroutes: reroutes.size,
    losersTold: told,
    problems,
  };
}
