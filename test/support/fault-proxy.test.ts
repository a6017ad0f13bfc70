// The fault proxy on its own, against a real HTTP server on loopback that counts what reaches
// it: each fault does what it says (as seen by the server and by the client), and a seed
// fixes the sequence of faults.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseFault,
  seededRandom,
  startFaultProxy,
  type FaultKind,
  type FaultProxy,
} from './fault-proxy.js';

/** What the server saw: whole requests by body, and requests torn before their end. */
const seen = { whole: [] as string[], torn: 0 };
let server: Server;
let target = '';

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    let complete = false;
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      complete = true;
      const body = Buffer.concat(chunks).toString();
      seen.whole.push(body);
      if (request.url === '/stream' || request.url === '/dying-stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: one\n\n');
        // A server killed mid-stream: its connection goes without the answer's end.
        if (request.url === '/dying-stream') setTimeout(() => response.socket?.destroy(), 20);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ echo: body, n: seen.whole.length }));
    });
    request.on('close', () => {
      if (!complete) seen.torn += 1;
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  target = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** A proxy that applies exactly `kind` to every request. */
async function proxyWith(kind: Exclude<FaultKind, 'pass'>): Promise<FaultProxy> {
  return startFaultProxy({
    target,
    seed: 1,
    plan: { [kind]: 1, latencyMs: [5, 10] },
  });
}

const post = (url: string, body: string) =>
  fetch(`${url}/push`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', connection: 'close' },
  });

function reset(): void {
  seen.whole.length = 0;
  seen.torn = 0;
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((done) => setTimeout(done, 10));
};

describe('the fault proxy', () => {
  it('passes requests and answers through unchanged', async () => {
    reset();
    const proxy = await startFaultProxy({ target, seed: 1 });
    const answer = await post(proxy.url, 'x'.repeat(100_000));
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { echo: string }).echo).toHaveLength(100_000);
    expect(seen.whole).toHaveLength(1);
    expect(proxy.counts.pass).toBe(1);
    await proxy.close();
  });

  it('adds latency and still delivers the answer', async () => {
    reset();
    const proxy = await proxyWith('latency');
    const answer = await post(proxy.url, 'slow');
    expect(((await answer.json()) as { echo: string }).echo).toBe('slow');
    expect(proxy.counts.latency).toBe(1);
    await proxy.close();
  });

  it('drops a request: the client fails and the server never sees it', async () => {
    reset();
    const proxy = await proxyWith('drop');
    await expect(post(proxy.url, 'dropped')).rejects.toThrow();
    expect(seen.whole).toEqual([]);
    await proxy.close();
  });

  it('resets mid-request: the server sees a torn body and stores nothing whole', async () => {
    reset();
    const proxy = await proxyWith('reset');
    await expect(post(proxy.url, 'y'.repeat(200_000))).rejects.toThrow();
    await until(() => seen.torn > 0);
    expect(seen.torn).toBe(1);
    expect(seen.whole).toEqual([]);
    await proxy.close();
  });

  it('duplicates a request: the server sees it twice, the client one answer', async () => {
    reset();
    const proxy = await proxyWith('duplicate');
    const answer = await post(proxy.url, 'twice');
    expect(((await answer.json()) as { n: number }).n).toBe(2);
    expect(seen.whole).toEqual(['twice', 'twice']);
    await proxy.close();
  });

  it('loses the answer after the server handled the request', async () => {
    reset();
    const proxy = await proxyWith('lose');
    await expect(post(proxy.url, 'committed')).rejects.toThrow();
    expect(seen.whole).toEqual(['committed']);
    await proxy.close();
  });

  it('refuses everything while paused and cuts open streams; works again when resumed', async () => {
    reset();
    const proxy = await startFaultProxy({ target, seed: 1 });
    const stream = await fetch(`${proxy.url}/stream`, {
      headers: { accept: 'text/event-stream' },
    });
    const reader = stream.body!.getReader();
    const first = (await reader.read()) as { value?: Uint8Array };
    expect(new TextDecoder().decode(first.value)).toContain('one');
    proxy.pause();
    expect(proxy.paused).toBe(true);
    await expect(reader.read()).rejects.toThrow();
    await expect(post(proxy.url, 'while down')).rejects.toThrow();
    proxy.resume();
    const answer = await post(proxy.url, 'back');
    expect(answer.status).toBe(200);
    expect(seen.whole).not.toContain('while down');
    expect(seen.whole).toContain('back');
    await proxy.close();
  });

  it("cuts a desk's stream when the server's end of it dies", async () => {
    reset();
    const proxy = await startFaultProxy({ target, seed: 1 });
    const stream = await fetch(`${proxy.url}/dying-stream`, {
      headers: { accept: 'text/event-stream' },
    });
    const reader = stream.body!.getReader();
    const first = (await reader.read()) as { value?: Uint8Array };
    expect(new TextDecoder().decode(first.value)).toContain('one');
    const hung = new Promise<string>((done) => setTimeout(() => done('still open'), 2_000));
    const next = reader.read().then(
      () => 'ended',
      () => 'cut',
    );
    expect(await Promise.race([next, hung])).toBe('cut');
    await proxy.close();
  });

  it('applies the queued faults first, one each, then draws', async () => {
    reset();
    const proxy = await startFaultProxy({ target, seed: 1 });
    proxy.setPlan({ first: ['drop', 'duplicate'] });
    await expect(post(proxy.url, 'first')).rejects.toThrow();
    expect(((await (await post(proxy.url, 'second')).json()) as { n: number }).n).toBe(2);
    expect((await post(proxy.url, 'third')).status).toBe(200);
    expect(proxy.counts).toMatchObject({ drop: 1, duplicate: 1, pass: 1 });
    expect(seen.whole).toEqual(['second', 'second', 'third']);
    await proxy.close();
  });

  it('draws the same faults from the same seed, and a mix matching the plan', () => {
    const plan = { drop: 0.1, reset: 0.1, duplicate: 0.1, lose: 0.1, latency: 0.2 };
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5000 }, () => chooseFault(plan, random));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    const drops = draw(7).filter((kind) => kind === 'drop').length;
    expect(drops).toBeGreaterThan(400);
    expect(drops).toBeLessThan(600);
    expect(draw(7).filter((kind) => kind === 'pass').length).toBeGreaterThan(1800);
  });
});
