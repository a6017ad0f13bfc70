/**
 * What the parts of bench:sync share: the server and desk child processes, the consortium's
 * data (libraries, items, holds, check-ins made up deterministically), admin calls, a TCP relay
 * that counts the bytes through it, and percentiles.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { WebSocket } from 'ws';
import { connectWebSocketDeskClient, type DeskConnection } from '../shared/api/client.js';
import {
  codabarCheckDigit,
  type DeskCollectionName,
  type DeskResult,
  type EnrolResponse,
  type Hold,
  type Item,
  type Library,
} from '../shared/index.js';

export const ADMIN_TOKEN = 'bench-sync-admin-token-not-a-secret';

// ---- child processes --------------------------------------------------------------------

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: Interface;
  readonly stderr: string[];
  readonly exited: Promise<void>;
}

/** Spawns `node --import tsx <script> ...args` and answers its first stdout line as JSON. */
async function spawnChild(
  script: string,
  args: string[],
): Promise<{ child: Child; first: unknown }> {
  // BENCH_CPU_PROF=<folder>: every child writes a V8 CPU profile there (node --cpu-prof).
  const profile = process.env['BENCH_CPU_PROF'];
  const proc = spawn(
    process.execPath,
    [
      ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
      '--import',
      'tsx',
      join(import.meta.dirname, script),
      ...args,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (process.env['BENCH_TRACE']) process.stderr.write(`[${script}] ${chunk.toString()}`);
  });
  const exited = new Promise<void>((done) => proc.on('close', () => done()));
  const lines = createInterface({ input: proc.stdout });
  const first = await new Promise<string>((done, fail) => {
    lines.once('line', done);
    proc.once('close', () => fail(new Error(`${script} ended: ${stderr.join('')}`)));
  });
  return { child: { process: proc, lines, stderr, exited }, first: JSON.parse(first) as unknown };
}

/** Processor time (user + system) of a process so far, in ms, from /proc. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in ticks.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export interface ServerProcess {
  readonly url: string;
  /** What the instance really stores on (see sync-server.ts). */
  readonly store: 'sqlite' | 'postgres';
  readonly pid: number;
  close(): Promise<void>;
}

/** One consortium server instance in its own process, on SQLite or on `database`. */
export async function startServerProcess(
  dataDir: string,
  database?: string,
): Promise<ServerProcess> {
  const { child, first } = await spawnChild('sync-server.ts', [
    dataDir,
    ADMIN_TOKEN,
    ...(database === undefined ? [] : [database]),
  ]);
  const info = first as { url: string; store: 'sqlite' | 'postgres' };
  return {
    url: info.url,
    store: info.store,
    pid: child.process.pid ?? 0,
    async close() {
      child.process.stdin.end();
      await child.exited;
    },
  };
}

export interface DeskProcess {
  readonly client: DeskConnection;
  readonly pid: number;
  readonly stderr: string[];
  /** Closes the desk; answers its process's peak RSS. */
  close(): Promise<{ peakRssMb: number }>;
}

/** One desk core (startDesk) in its own process, driven over its WebSocket bridge. */
export async function startDeskProcess(dataDir: string): Promise<DeskProcess> {
  const { child, first } = await spawnChild('sync-desk.ts', [dataDir]);
  const bridge = first as { url: string; token: string };
  const client = await connectWebSocketDeskClient({
    url: bridge.url,
    token: bridge.token,
    version: 'bench',
    WebSocketImpl: WebSocket,
  });
  return {
    client,
    pid: child.process.pid ?? 0,
    stderr: child.stderr,
    async close() {
      const last = new Promise<string>((done) => child.lines.once('line', done));
      await client.close();
      child.process.stdin.end();
      const line = await Promise.race([last, child.exited.then(() => '{"peakRssMb":0}')]);
      await child.exited;
      return JSON.parse(line) as { peakRssMb: number };
    },
  };
}

export function value<T>(result: DeskResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

// ---- admin and enrolment ----------------------------------------------------------------

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Imports documents through the admin JSON import (the server's own writes), in chunks. */
export async function importDocuments(
  serverUrl: string,
  collection: DeskCollectionName,
  docs: readonly object[],
  chunk = 2_000,
): Promise<void> {
  for (let start = 0; start < docs.length; start += chunk) {
    await post(
      `${serverUrl}/v1/admin/json-import/${collection}`,
      { documents: docs.slice(start, start + chunk) },
      ADMIN_TOKEN,
    );
  }
}

/** A code for a desk of `library`, which must have been imported (else `unknown_library`). */
export async function enrolmentCode(serverUrl: string, library: string): Promise<string> {
  const answer = await post<{ code: string }>(
    `${serverUrl}/v1/admin/desks/enrolment-codes`,
    { library },
    ADMIN_TOKEN,
  );
  return answer.code;
}

/** Enrols a desk over HTTP, as the desk core does: its id, token and library. */
export async function enrolDesk(serverUrl: string, library: string, name: string) {
  const code = await enrolmentCode(serverUrl, library);
  return post<EnrolResponse>(`${serverUrl}/v1/enrol`, { code, deskName: name });
}

// ---- the consortium's data --------------------------------------------------------------

export const code = (n: number) => `L${String(n).padStart(2, '0')}`;
const prefix = (n: number) => `3${String(1000 + n).padStart(4, '0')}`;
export const stamp = { updatedAt: '2026-11-01T00:00:00.000Z', deskId: 'server' };

/** Item n's barcode: library n % libraries' prefix, serial n, Codabar check digit. */
export function barcodeOf(n: number, libraries: number): string {
  const first13 = `${prefix(n % libraries)}${String(n).padStart(8, '0')}`;
  return `${first13}${codabarCheckDigit(first13)}`;
}

export function libraries(count: number): Library[] {
  return Array.from({ length: count }, (_, n) => ({
    code: code(n),
    name: `Library ${n}`,
    barcodePrefixes: [prefix(n)],
    barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' as const },
    floatingRules: { libraries: [], callNumberPrefixes: [] },
    localPickupFirst: true,
    timeZone: 'America/Chicago',
    crateCapacity: 40,
    holdShelfDays: 7,
    courierStop: `STOP-${code(n)}`,
    ...stamp,
  }));
}

/** Item n, owned by `owner` and standing at `location` (library numbers). */
export function itemAt(n: number, libraryCount: number, owner: number, location = owner): Item {
  return {
    barcode: barcodeOf(n, libraryCount),
    bibId: `b${Math.floor(n / 3)}`,
    title: `A title of the shared collection, number ${n}`,
    author: 'Author, An',
    callNumber: `FIC ${String.fromCharCode(65 + (n % 26))}`,
    owner: code(owner),
    location: code(location),
    floating: false,
    status: 'checked_out',
    ...stamp,
  };
}

/** Hold n on record `bib`, picked up at `pickup` and pulled at `pull` (library numbers). */
export function holdAt(n: number, bib: number, pickup: number, pull: number): Hold {
  return {
    id: `01JR${String(n).padStart(22, '0')}`,
    bibId: `b${bib}`,
    patronRef: `p${n}`,
    shelfName: `SHELF${n}`,
    pickupLibrary: code(pickup),
    pullLibrary: code(pull),
    status: 'pending',
    requestedAt: new Date(Date.UTC(2026, 9, 1) + n * 1000).toISOString(),
    ...stamp,
  };
}

// ---- measuring --------------------------------------------------------------------------

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

export interface ByteCounter {
  /** `http://127.0.0.1:<port>`: connect here instead of to the target. */
  readonly url: string;
  /** Bytes from clients to the target and back since the last reset. */
  readonly bytes: { up: number; down: number };
  reset(): void;
  close(): Promise<void>;
}

/**
 * A plain TCP relay to `target` that counts every byte through it both ways (HTTP headers,
 * bodies, the event stream, connections torn by faults further on: what the desk's link
 * carries). It adds no delay of its own beyond a loopback hop.
 */
export async function startByteCounter(target: string): Promise<ByteCounter> {
  const to = new URL(target);
  const bytes = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(to.port), to.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      bytes.up += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      bytes.down += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    bytes,
    reset() {
      bytes.up = 0;
      bytes.down = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
