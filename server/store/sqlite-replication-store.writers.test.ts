/**
 * Several writers on one file: three processes push while this one pulls from its last
 * checkpoint in small pages. Every document must reach the puller exactly once, however its
 * commit interleaves with the pulls: a pull never serves a checkpoint past a document that
 * commits later.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from './replication-store.js';
import { openParcelStore, temporaryFolder } from './testing/parcels.js';

const folder = temporaryFolder('carrel-server-writers-');
afterAll(() => folder.remove());

function runWriter(file: string, name: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'testing', 'push-writer.ts'),
        file,
        name,
        String(count),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 && output.includes('done')
        ? resolve()
        : reject(new Error(`writer ${name} ended with ${String(code)}: ${output}`)),
    );
  });
}

describe('several writers on one SQLite file', () => {
  it('never let a pull skip a document that commits after a later checkpoint was served', async () => {
    const file = join(folder.path, 'store.sqlite');
    const store = await openParcelStore(folder.path);
    try {
      const writers = ['w1', 'w2', 'w3'];
      const count = 150;
      let running = true;
      const finished = Promise.all(writers.map((name) => runWriter(file, name, count))).finally(
        () => (running = false),
      );
      const served: string[] = [];
      let after: Checkpoint | null = null;
      const pullOnce = async () => {
        const page = await store.pull('parcels', { library: 'A', after, limit: 5 });
        expect(page.checkpoint.seq).toBeGreaterThanOrEqual(after?.seq ?? 0);
        served.push(...page.documents.map((doc) => String(doc['id'])));
        after = page.checkpoint;
        return page.documents.length;
      };
      while (running) {
        await pullOnce();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await finished;
      while ((await pullOnce()) > 0);

      expect(served).toHaveLength(writers.length * count);
      expect(new Set(served).size).toBe(served.length);
      // Each writer's documents arrive in the order it committed them.
      for (const name of writers) {
        const own = served.filter((id) => id.startsWith(`${name}-`));
        expect(own).toEqual([...own].sort());
      }
    } finally {
      await store.close();
    }
  });
});
