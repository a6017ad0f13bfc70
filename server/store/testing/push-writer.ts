/**
 * Child process of the several-writers test: pushes `count` parcels, one push each, to the
 * store file it is given, as a second server instance on the same file would, then prints
 * `done`. Usage: push-writer.ts <file> <name> <count>
 */
import { openSqliteReplicationStore } from '../sqlite-replication-store.js';
import { parcel, parcels } from './parcels.js';

const [file, name, count] = process.argv.slice(2);
if (!file || !name || !count) throw new Error('usage: push-writer.ts <file> <name> <count>');

const store = await openSqliteReplicationStore(file);
store.register(parcels);
for (let i = 0; i < Number(count); i++) {
  const doc = parcel(`${name}-${String(i).padStart(4, '0')}`, ['A']);
  await store.push('parcels', [{ assumedMasterState: null, newDocumentState: doc }], {
    deskId: name,
    library: 'A',
  });
}
await store.close();
process.stdout.write('done\n');
