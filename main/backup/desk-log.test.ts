import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeskLog, deskLogFiles } from './index.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'carrel-log-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const at = () => new Date('2026-11-23T09:00:00.000Z');

describe('createDeskLog', () => {
  it('writes one timestamped line per event, line breaks folded', () => {
    const log = createDeskLog(dataDir, { now: at });
    log('sync: online');
    log('sync: failed\nat line 2');
    expect(readFileSync(join(dataDir, 'logs', 'desk.log'), 'utf8')).toBe(
      '2026-11-23T09:00:00.000Z sync: online\n2026-11-23T09:00:00.000Z sync: failed | at line 2\n',
    );
  });

  it('rotates at its size limit and keeps only the newest files', () => {
    // Each line is 24 + 1 + 9 + 1 = 35 bytes: two fit in 80, the third starts a new file.
    const log = createDeskLog(dataDir, { now: at, maxBytes: 80, keep: 2 });
    for (let n = 1; n <= 9; n += 1) log(`line ${String(n).padStart(4, '0')}`);
    expect(readdirSync(join(dataDir, 'logs')).sort()).toEqual([
      'desk.log',
      'desk.log.1',
      'desk.log.2',
    ]);
    const lines = deskLogFiles(dataDir)
      .map((file) => readFileSync(file, 'utf8'))
      .join('')
      .trim()
      .split('\n')
      .map((line) => line.slice(25));
    // Oldest first; lines 1-4 rotated away.
    expect(lines).toEqual(['line 0005', 'line 0006', 'line 0007', 'line 0008', 'line 0009']);
  });

  it('goes on appending to the file an earlier run left', () => {
    createDeskLog(dataDir, { now: at })('first run');
    createDeskLog(dataDir, { now: at })('second run');
    expect(readFileSync(join(dataDir, 'logs', 'desk.log'), 'utf8')).toContain('first run');
    expect(readFileSync(join(dataDir, 'logs', 'desk.log'), 'utf8')).toContain('second run');
  });
});
