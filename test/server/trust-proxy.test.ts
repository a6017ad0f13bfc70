// The server behind a reverse proxy, on real servers over loopback: the client's address comes
// from X-Forwarded-For only when the socket's peer (here 127.0.0.1, standing in for nginx or
// Caddy on the same machine) is a trusted proxy. That address is what the enrolment rate limit
// counts and what the request log shows; otherwise both see the peer, and anyone could pick a
// fresh budget of code guesses by writing the header.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, trustedProxies, type ConsortiumServer } from '../../server/app.js';

/** The limit the server sets (600 a minute per key): used up whole, no clock involved. */
const LIMIT = 600;
const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-proxy-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An enrolment attempt as a proxy would pass it on: its status and the budget left. */
async function enrol(
  server: ConsortiumServer,
  headers: Record<string, string>,
): Promise<{ status: number; remaining: number }> {
  const response = await fetch(`${server.url}/v1/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    // Not a valid enrolment (400 after the rate limit counted it): no code is used up.
    body: '{}',
  });
  await response.arrayBuffer();
  return {
    status: response.status,
    remaining: Number(response.headers.get('x-ratelimit-remaining')),
  };
}

/** Uses up the whole enrolment budget of requests forwarded for `client`. */
async function exhaust(server: ConsortiumServer, client: string): Promise<void> {
  for (let sent = 0; sent < LIMIT; sent += 50) {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => enrol(server, { 'x-forwarded-for': client })),
    );
    expect(answers.every((answer) => answer.status === 400)).toBe(true);
  }
}

describe.each([
  { trustProxy: '127.0.0.1', trusted: true },
  { trustProxy: 'loopback, 10.0.0.0/8', trusted: true },
  { trustProxy: '10.0.0.1', trusted: false },
  { trustProxy: undefined, trusted: false },
])('with trustProxy $trustProxy', ({ trustProxy, trusted }) => {
  let server: ConsortiumServer;
  beforeAll(async () => {
    server = await startConsortiumServer({
      dataDir: tempDir(),
      ...(trustProxy === undefined ? {} : { trustProxy }),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it(`counts enrolments by ${trusted ? 'the forwarded address' : 'the socket address'}`, async () => {
    await exhaust(server, '203.0.113.7');
    const same = await enrol(server, { 'x-forwarded-for': '203.0.113.7' });
    expect(same.status).toBe(429);
    const other = await enrol(server, { 'x-forwarded-for': '203.0.113.8' });
    if (trusted) {
      // Another client behind the same proxy still has its whole budget.
      expect(other).toEqual({ status: 400, remaining: LIMIT - 1 });
    } else {
      // The header is ignored: every client is the peer, whose budget is used up.
      expect(other.status).toBe(429);
    }
    // Neither a made-up token nor an address the client wrote first (nginx appends the real
    // one: `$proxy_add_x_forwarded_for`) buys a fresh budget: the rightmost untrusted counts.
    expect(
      (await enrol(server, { 'x-forwarded-for': '203.0.113.7', authorization: 'Bearer x' })).status,
    ).toBe(429);
    expect((await enrol(server, { 'x-forwarded-for': '203.0.113.9, 203.0.113.7' })).status).toBe(
      429,
    );
  });
});

describe('trustedProxies', () => {
  it('takes addresses, CIDR ranges and range names, comma-separated', () => {
    expect(trustedProxies('127.0.0.1, ::1,10.0.0.0/8 ,fd00::/8,loopback')).toEqual([
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses a hop count, true, and what is no address, before opening any data', async () => {
    expect(() => trustedProxies('1')).toThrow(/hop count/);
    expect(() => trustedProxies('true')).toThrow(/hop count/);
    for (const wrong of ['', '127.0.0.1,', 'proxy.example.org', '10.0.0.0/33', '::1/129']) {
      expect(() => trustedProxies(wrong), wrong).toThrow(/not an IP address/);
    }
    const dataDir = join(tempDir(), 'never-made');
    await expect(startConsortiumServer({ dataDir, trustProxy: '2' })).rejects.toThrow(/hop count/);
    expect(existsSync(dataDir)).toBe(false);
  });
});

/** `npm run server` as a child process, its log lines (pino JSON) collected. */
class ServerCommand {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(args: readonly string[], env: Record<string, string> = {}) {
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'server', 'main.ts'),
        '--data',
        tempDir(),
        '--port',
        '0',
        ...args,
      ],
      { cwd: root, env: { ...process.env, CARREL_TRUST_PROXY: '', ...env } },
    );
    createInterface({ input: this.child.stdout }).on('line', (line) => this.lines.push(line));
    this.child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((done) => this.child.on('close', (code) => done(code)));
  }

  /** The first log entry `match` accepts, waiting for it (or for the process to end). */
  async entry(
    match: (entry: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    let ended = false;
    void this.exited.then(() => (ended = true));
    for (;;) {
      for (const line of this.lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (match(entry)) return entry;
      }
      if (ended) throw new Error(`the server ended: ${this.stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async url(): Promise<string> {
    const listening = await this.entry((entry) =>
      String(entry['msg']).startsWith('Server listening at http://127.0.0.1:'),
    );
    return String(listening['msg']).replace('Server listening at ', '');
  }

  /** The address the log gives for a request forwarded for `client`. */
  async loggedAddress(client: string): Promise<unknown> {
    const path = `/v1/health?probe=${client}`;
    await fetch(`${await this.url()}${path}`, { headers: { 'x-forwarded-for': client } });
    const incoming = await this.entry(
      (entry) =>
        entry['msg'] === 'incoming request' && (entry['req'] as { url?: unknown }).url === path,
    );
    return (incoming['req'] as { remoteAddress?: unknown }).remoteAddress;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

describe('npm run server --trust-proxy', () => {
  let flag: ServerCommand;
  let env: ServerCommand;
  let none: ServerCommand;
  beforeAll(() => {
    flag = new ServerCommand(['--trust-proxy', '127.0.0.1']);
    env = new ServerCommand([], { CARREL_TRUST_PROXY: '127.0.0.1' });
    none = new ServerCommand([]);
  });
  afterAll(async () => {
    await Promise.all([flag.stop(), env.stop(), none.stop()]);
  });

  it('logs the forwarded address only when 127.0.0.1 is trusted, by flag or environment', async () => {
    expect(await flag.loggedAddress('203.0.113.20')).toBe('203.0.113.20');
    expect(await env.loggedAddress('203.0.113.21')).toBe('203.0.113.21');
    expect(await none.loggedAddress('203.0.113.22')).toBe('127.0.0.1');
  });

  it('refuses a hop count with a usage error, before starting', async () => {
    const hops = new ServerCommand(['--trust-proxy', '1']);
    expect(await hops.exited).toBe(2);
    expect(hops.stderr.join('')).toMatch(/hop count .*\(--trust-proxy or CARREL_TRUST_PROXY\)/s);
  });
});
