// Test-only: a real desk (startDesk on a temporary folder) with the demo consortium loaded
// and some check-ins recorded, so holds carry patron references and shelf names, items
// have been captured for them, and the log has lines. Not exported from index.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDesk, type Desk } from '../app.js';

export async function demoDesk(dataDir = mkdtempSync(join(tmpdir(), 'carrel-maintenance-'))) {
  const logged: string[] = [];
  const desk: Desk = await startDesk({
    dataDir,
    version: '1.2.3-test',
    sync: { log: (line) => logged.push(line) },
  });
  const demo = await desk.api.desk.loadDemo({});
  if (!demo.ok) throw new Error(demo.error.message);
  const signedIn = await desk.api.staff.signIn({ initials: 'JD' });
  if (!signedIn.ok) throw new Error(signedIn.error.message);
  const here = demo.value.library?.code ?? '';
  const items = await desk.database.items.find({ selector: { owner: here }, limit: 40 }).exec();
  let scans = 0;
  for (const item of items) {
    const scanned = await desk.api.checkin.scan({ barcode: item.barcode });
    if (scanned.ok) scans += 1;
  }
  return { desk, dataDir, logged, scans };
}

/** Every document of every collection, by collection, as plain JSON sorted by id. */
export async function everyDocument(desk: Desk): Promise<Record<string, unknown[]>> {
  const all: Record<string, unknown[]> = {};
  for (const [name, collection] of Object.entries(desk.database.collections)) {
    const docs = await collection.find().exec();
    all[name] = docs
      .map((doc) => doc.toJSON() as { _meta?: unknown; _rev?: unknown })
      .map(({ _meta, _rev, ...rest }) => rest)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return all;
}
