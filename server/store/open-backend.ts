// Where the consortium server keeps its data: an SQLite file in its data folder (the default:
// one command starts a whole consortium), or a PostgreSQL database named by a `postgres://`
// URL, which several server instances can share. Both give the same store and registry
// interfaces; on PostgreSQL the store's onCommit also reports the other instances' commits
// (LISTEN/NOTIFY), so every instance's live streams hear every change.
import { join } from 'node:path';
import { openDeskRegistry, type DeskRegistry } from './desk-registry.js';
import { openPgDeskRegistry } from './pg-desk-registry.js';
import { openPgReplicationStore } from './pg-replication-store.js';
import type { ReplicationStore } from './replication-store.js';
import { openSqliteReplicationStore } from './sqlite-replication-store.js';

export interface Backend {
  readonly kind: 'sqlite' | 'postgres';
  readonly store: ReplicationStore;
  readonly registry: DeskRegistry;
  /** Closes the registry and the store. */
  close(): Promise<void>;
}

export interface BackendOptions {
  /** The data folder: holds the SQLite files when no database is given. */
  readonly dataDir: string;
  /** A `postgres://` (or `postgresql://`) URL; SQLite in `dataDir` when absent. */
  readonly database?: string;
}

/** Whether `url` names a PostgreSQL database (the only kind `database` accepts). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/./i.test(url);
}

export async function openBackend(options: BackendOptions): Promise<Backend> {
  const { database } = options;
  if (database === undefined) {
    const store = await openSqliteReplicationStore(join(options.dataDir, 'consortium.sqlite'));
    const registry = openDeskRegistry(join(options.dataDir, 'desks.sqlite'));
    return backend('sqlite', store, registry);
  }
  if (!isPostgresUrl(database)) {
    throw new Error(
      'The database must be a postgres:// URL (postgres://user:password@host:5432/name); ' +
        'leave it out to keep the data in an SQLite file in the data folder.',
    );
  }
  const store = await openPgReplicationStore(database);
  try {
    return backend('postgres', store, await openPgDeskRegistry(database));
  } catch (error) {
    await store.close();
    throw error;
  }
}

function backend(kind: Backend['kind'], store: ReplicationStore, registry: DeskRegistry): Backend {
  return {
    kind,
    store,
    registry,
    async close() {
      await registry.close();
      await store.close();
    },
  };
}
