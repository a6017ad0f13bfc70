// A throwaway PostgreSQL cluster for tests: Debian's binaries, initdb into a temporary
// folder, a server on 127.0.0.1 at a free port with fsync on (the durability the store
// relies on is the one under test), stopped and deleted by `stop`. One cluster per test
// file, started in beforeAll: initdb takes a second or two, a database in it ~50 ms.
//
// initdb refuses to run as root, and CI runs as root: there every PostgreSQL binary runs as
// the `postgres` user (runuser), in a folder that user owns.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PostgresCluster {
  /** `postgres://` URL of the cluster's `postgres` database (superuser, no password). */
  readonly url: string;
  /** Creates an empty database and answers its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database made by createDatabase (its URL), closing its connections. */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server and deletes the cluster's folder. */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder (/usr/lib/postgresql/<version>/bin). */
function binaries(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql)');
  return join('/usr/lib/postgresql', newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

let databases = 0;

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binaries();
  const asRoot = process.getuid?.() === 0;
  const postgresUser = asRoot ? await run('id', ['-u', 'postgres']) : undefined;
  const postgresGroup = asRoot ? await run('id', ['-g', 'postgres']) : undefined;
  const pgTool = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
      : run(join(bin, tool), args);

  const folder = mkdtempSync(join(tmpdir(), 'carrel-pg-'));
  const data = join(folder, 'data');
  if (postgresUser && postgresGroup) {
    chownSync(folder, Number(postgresUser.stdout), Number(postgresGroup.stdout));
  }
  const remove = () => rmSync(folder, { recursive: true, force: true });
  try {
    await pgTool('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync', // the cluster is thrown away; its own commits still fsync (below)
    ]);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      // postgresql.auto.conf is read last: these win over postgresql.conf.
      writeFileSync(
        join(data, 'postgresql.auto.conf'),
        [
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          "unix_socket_directories = ''",
          'fsync = on',
          'synchronous_commit = on',
          'max_connections = 200',
          'shared_buffers = 64MB',
          '',
        ].join('\n'),
      );
      if (postgresUser && postgresGroup) {
        chownSync(
          join(data, 'postgresql.auto.conf'),
          Number(postgresUser.stdout),
          Number(postgresGroup.stdout),
        );
      }
      try {
        await pgTool('pg_ctl', ['start', '-w', '-D', data, '-l', join(folder, 'server.log')]);
      } catch (error) {
        // Another process may have taken the port between freePort and start.
        if (attempt < 3) continue;
        throw error;
      }
      // A test process that ends without `stop` (a failed beforeAll, an exception) must not
      // leave a server running: stop it as the process exits.
      const stopOnExit = () => {
        try {
          const args = ['stop', '-m', 'immediate', '-D', data];
          if (asRoot) {
            execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args]);
          } else execFileSync(join(bin, 'pg_ctl'), args);
        } catch {
          // already stopped
        }
        remove();
      };
      process.once('exit', stopOnExit);
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const admin = async (sql: string) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      };
      return {
        url,
        async createDatabase(name = `carrel_test_${++databases}`) {
          await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
          return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
        },
        async dropDatabase(database: string) {
          const name = decodeURIComponent(new URL(database).pathname.slice(1));
          await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        },
        async stop() {
          process.off('exit', stopOnExit);
          try {
            await pgTool('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data]);
          } finally {
            remove();
          }
        },
      };
    }
  } catch (error) {
    remove();
    throw error;
  }
}
