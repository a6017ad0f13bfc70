// A fault-injecting HTTP proxy for the sync tests, between desks and the consortium server on
// 127.0.0.1. `tc netem` does not exist on our machines' kernel, and a TCP-level proxy cannot
// duplicate a request or lose a response after the server committed it, so this proxy reads
// each HTTP request whole, then decides (from a seeded PRNG) what to do with it:
//
//   pass       forward it and stream the answer back
//   latency    wait, then forward (and wait again before answering)
//   drop       close the desk's connection without forwarding: the server never saw it
//   reset      send the server the headers and half the body, then reset both sockets
//   duplicate  send it twice, one after the other; the desk gets the second answer
//   lose       forward it, read the server's whole answer (it committed), then reset the
//              desk's connection without a byte of it
//
// `pause()` stands for a server that is down (or restarting): every connection open through
// the proxy is reset and new ones are refused until `resume()`.
//
// Decisions are drawn per request in arrival order. With concurrent desks the arrival order
// is the scheduler's, so a seed fixes the fault mix and its statistics, not which request of
// which desk gets which fault; the run's history checks hold for every interleaving.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

export type FaultKind = 'pass' | 'latency' | 'drop' | 'reset' | 'duplicate' | 'lose';

/** Probabilities of each fault per request (the rest pass), and the latency range. */
export interface FaultPlan {
  readonly latency?: number;
  readonly drop?: number;
  readonly reset?: number;
  readonly duplicate?: number;
  readonly lose?: number;
  /** Delay added by `latency`, uniformly in [min, max] ms, before forwarding and answering. */
  readonly latencyMs?: readonly [number, number];
  /**
   * Long-lived event streams are cut after a random time up to this (ms), so desks reconnect
   * and RESYNC; 0 or absent leaves them alone.
   */
  readonly cutStreamsWithinMs?: number;
  /**
   * Faults for the first requests after the plan is set, one each, before the random draws:
   * a short run then exercises every kind it lists whatever the draws.
   */
  readonly first?: readonly Exclude<FaultKind, 'pass'>[];
}

export const NO_FAULTS: FaultPlan = {};

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Picks a fault for one request from `plan` with one draw of `random`. */
export function chooseFault(plan: FaultPlan, random: () => number): FaultKind {
  const draw = random();
  let edge = 0;
  for (const kind of ['drop', 'reset', 'duplicate', 'lose', 'latency'] as const) {
    edge += plan[kind] ?? 0;
    if (draw < edge) return kind;
  }
  return 'pass';
}

export interface FaultProxyOptions {
  /** Where the server listens: `http://127.0.0.1:<port>`. */
  readonly target: string;
  readonly seed: number;
  readonly plan?: FaultPlan;
  /** A fixed port for the proxy (0 or absent: any free one). */
  readonly port?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this to desks as the server's URL. */
  readonly url: string;
  /** How many requests got each fault so far (streams count as requests). */
  readonly counts: Readonly<Record<FaultKind, number>>;
  setPlan(plan: FaultPlan): void;
  /** Faults of the plan's `first` list not yet dealt out. */
  readonly forcedLeft: number;
  /** Points the proxy at another server address (a restarted server on a new port). */
  setTarget(target: string): void;
  /** Resets every open connection and refuses new ones, as a server that went down. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function forwardedHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const wait = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let target = new URL(options.target);
  let plan = options.plan ?? NO_FAULTS;
  let queued = [...(plan.first ?? [])];
  let paused = false;
  const random = seededRandom(options.seed);
  const counts: Record<FaultKind, number> = {
    pass: 0,
    latency: 0,
    drop: 0,
    reset: 0,
    duplicate: 0,
    lose: 0,
  };
  const sockets = new Set<Socket>();
  const upstreamSockets = new Set<Socket>();

  /** One request to the server; resolves with its answer, body still unread. */
  function forward(
    request: IncomingMessage,
    body: Buffer,
    partial = false,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest({
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...forwardedHeaders(request.headers), 'content-length': String(body.length) },
        agent: false,
      });
      upstream.on('socket', (socket) => {
        upstreamSockets.add(socket);
        socket.once('close', () => upstreamSockets.delete(socket));
      });
      upstream.once('response', resolve);
      upstream.once('error', reject);
      if (partial) {
        // Headers and half the body, then a reset: the server sees a request torn mid-body.
        upstream.flushHeaders();
        upstream.write(body.subarray(0, Math.floor(body.length / 2)), () => {
          setTimeout(() => {
            upstream.destroy();
            reject(new Error('reset mid-request'));
          }, 5);
        });
        return;
      }
      upstream.end(body);
    });
  }

  async function answerWhole(
    response: ServerResponse,
    answer: IncomingMessage,
    delayMs: number,
  ): Promise<void> {
    const body = await readBody(answer);
    if (delayMs > 0) await wait(delayMs);
    response.writeHead(answer.statusCode ?? 502, forwardedHeaders(answer.headers));
    response.end(body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const socket = request.socket;
    const body = await readBody(request);
    if (paused) {
      socket.resetAndDestroy();
      return;
    }
    const isStream = (request.headers.accept ?? '').includes('text/event-stream');
    // Queued faults go to plain requests: a stream has nothing to duplicate or lose.
    const kind = (!isStream && queued.shift()) || chooseFault(plan, random);
    counts[kind] += 1;
    const [low, high] = plan.latencyMs ?? [20, 200];
    const delay = kind === 'latency' ? low + random() * (high - low) : 0;
    switch (kind) {
      case 'drop':
        socket.resetAndDestroy();
        return;
      case 'reset':
        await forward(request, body, true).catch(() => undefined);
        socket.resetAndDestroy();
        return;
      case 'lose': {
        const answer = await forward(request, body);
        if (isStream) answer.destroy();
        else await readBody(answer);
        socket.resetAndDestroy();
        return;
      }
      case 'duplicate': {
        if (!isStream) await readBody(await forward(request, body));
        break;
      }
      case 'latency':
        await wait(delay);
        break;
      case 'pass':
        break;
    }
    const answer = await forward(request, body);
    if (!isStream) {
      await answerWhole(response, answer, delay);
      return;
    }
    response.writeHead(answer.statusCode ?? 502, forwardedHeaders(answer.headers));
    answer.pipe(response);
    const cutWithin = plan.cutStreamsWithinMs ?? 0;
    if (cutWithin > 0) {
      const timer = setTimeout(() => {
        answer.destroy();
        socket.resetAndDestroy();
      }, random() * cutWithin);
      socket.once('close', () => clearTimeout(timer));
    }
    socket.once('close', () => answer.destroy());
    // A server that dies mid-stream (killed, not stopped) takes the desk's connection with it,
    // as the desk's would go without a proxy in between: `pipe` ends the answer only when the
    // server ended it.
    answer.once('close', () => {
      if (!answer.complete) socket.destroy();
    });
  }

  const server = createServer({ keepAlive: true }, (request, response) => {
    handle(request, response).catch(() => {
      // The server is down or reset us: the desk sees its connection reset, as it would.
      if (!request.socket.destroyed) request.socket.resetAndDestroy();
    });
  });
  server.on('connection', (socket) => {
    if (paused) {
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((done) => server.listen(options.port ?? 0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    counts,
    setPlan(next) {
      plan = next;
      queued = [...(next.first ?? [])];
    },
    setTarget(next) {
      target = new URL(next);
    },
    pause() {
      paused = true;
      for (const socket of [...sockets, ...upstreamSockets]) socket.resetAndDestroy();
    },
    resume() {
      paused = false;
    },
    get paused() {
      return paused;
    },
    get forcedLeft() {
      return queued.length;
    },
    close() {
      for (const socket of [...sockets, ...upstreamSockets]) socket.destroy();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
