// `npm run admin` against a real server: each command in-process (runCli, with its output
// captured), and the script itself as a child process, as an administrator runs it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli.js';
import { ADMIN_TOKEN, startAdminTestServer, type AdminTestServer } from './admin-support.js';

let t: AdminTestServer;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startAdminTestServer();
  env = { CARREL_SERVER_URL: t.server.url, CARREL_ADMIN_TOKEN: ADMIN_TOKEN };
});
afterAll(async () => {
  await t.close();
});

async function admin(command: string, environment: Record<string, string> = env) {
  const out: string[] = [];
  const err: string[] = [];
  const args = command.match(/"[^"]*"|\S+/g)?.map((arg) => arg.replace(/^"|"$/g, '')) ?? [];
  const status = await runCli(args, environment, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

const fixturePath = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'ils', name);

describe('npm run admin', () => {
  it('explains itself, and refuses to run without a token or a server', async () => {
    expect((await admin('')).status).toBe(2);
    expect((await admin('--help')).out).toContain('library add --code');
    const unknown = await admin('library rename');
    expect([unknown.status, unknown.err]).toEqual([2, expect.stringContaining('Unknown command')]);
    const noToken = await admin('library list', { CARREL_SERVER_URL: t.server.url });
    expect([noToken.status, noToken.err]).toEqual([
      2,
      expect.stringContaining('CARREL_ADMIN_TOKEN'),
    ]);
    const noServer = await admin('library list', {
      ...env,
      CARREL_SERVER_URL: 'http://127.0.0.1:9',
    });
    expect([noServer.status, noServer.err]).toEqual([2, expect.stringContaining('Cannot reach')]);
    const wrongToken = await admin('library list', { ...env, CARREL_ADMIN_TOKEN: 'wrong' });
    expect([wrongToken.status, wrongToken.err]).toEqual([
      1,
      expect.stringMatching(/^unauthorized: /),
    ]);
  });

  it('adds, changes and lists libraries', async () => {
    const added = await admin(
      'library add --code NORTH --name "North Library" --time-zone America/Chicago --prefix 31234 ' +
        '--float-to SOUTH --float-call-prefix FIC --hold-shelf-days 10 --courier-stop N1 --codabar',
    );
    expect(added).toEqual({ status: 0, out: 'Added library NORTH.', err: '' });
    for (const code of ['SOUTH', 'WEST']) {
      const prefix = code === 'SOUTH' ? '31235' : '31236';
      expect(
        (
          await admin(
            `library add --code ${code} --name ${code} --time-zone America/Chicago --prefix ${prefix}`,
          )
        ).status,
      ).toBe(0);
    }
    const again = await admin('library add --code NORTH --name Again');
    expect([again.status, again.err]).toEqual([1, expect.stringMatching(/^library_exists: /)]);
    const badDays = await admin('library update --code NORTH --hold-shelf-days ten');
    expect(badDays.status).toBe(2);
    expect((await admin('library update --code NORTH --hold-shelf-days 12')).out).toBe(
      'Changed library NORTH.',
    );
    expect((await admin('library update --code NORTH --hold-shelf-days 12')).out).toBe(
      'Library NORTH already said that.',
    );
    const listed = await admin('library list --json');
    const north = (JSON.parse(listed.out) as { libraries: Record<string, unknown>[] }).libraries[0];
    expect(north).toMatchObject({
      code: 'NORTH',
      holdShelfDays: 12,
      floatingRules: { libraries: ['SOUTH'], callNumberPrefixes: ['FIC'] },
      barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' },
    });
    expect((await admin('library list')).out).toMatch(
      /^code\s+name\s+barcodePrefixes.*\nNORTH\s+North Library\s+31234\s+12\s+N1/,
    );
  });

  it('makes enrolment codes, lists desks and revokes one', async () => {
    const code = await admin('desk code --library NORTH --json');
    const enrolment = JSON.parse(code.out) as { code: string };
    const enrolled = await t.call<{ deskId: string }>(
      'POST',
      '/v1/enrol',
      { json: { code: enrolment.code, deskName: 'Front desk' } },
      null,
    );
    expect(enrolled.status).toBe(200);
    expect((await admin('desk code --library NOWHERE')).err).toMatch(/^unknown_library: /);
    const listed = await admin('desk list --library NORTH');
    expect(listed.out).toContain(enrolled.body.deskId);
    expect(listed.out).toContain('Front desk');
    expect((await admin(`desk revoke ${enrolled.body.deskId}`)).status).toBe(0);
    expect((await admin('desk list --json')).out).toContain('"revoked": true');
    expect((await admin('desk revoke')).status).toBe(2);
  });

  it('imports a file, and says which lines of a refused file are wrong', async () => {
    const imported = await admin(`import items --format koha ${fixturePath('koha-items.csv')}`);
    expect(imported.status).toBe(0);
    expect(imported.out).toContain('6 rows: 6 new, 0 changed, 0 unchanged, 0 skipped, 0 bad.');
    expect(imported.out).toContain(
      '4 columns ignored (not stored): author, holdingbranch, ccode, itemnotes_nonpublic',
    );
    const again = await admin(`import items --format koha ${fixturePath('koha-items.csv')}`);
    expect(again.out).toContain('0 new, 0 changed, 6 unchanged');
    const bad = await admin(`import items --format koha ${fixturePath('koha-items-bad.csv')}`);
    expect(bad.status).toBe(1);
    expect(bad.err).toContain('line 3: no member library ATLANTIS');
    expect(bad.err).toContain('Nothing written.');
    expect(bad.err).toMatch(/import_rejected: 5 of 6 rows are not valid/);
    const holds = await admin(
      `import holds --format koha --dry-run ${fixturePath('koha-holds.csv')}`,
    );
    expect(holds.out).toContain('3 new');
    expect(holds.out).toContain('Nothing written.');
  });

  it('exports check-ins to a file and prints reports', async () => {
    const out = join(t.dir, 'north.koc');
    const exported = await admin(
      `export checkins --library NORTH --from 2026-11-01 --to 2026-11-30 --format koc --out ${out}`,
    );
    expect(exported.out).toBe(`Wrote 0 check-ins to ${out}.`);
    expect(readFileSync(out, 'utf8')).toBe(
      'Version=1.0\tGenerator=Carrel\tGeneratorVersion=0.1.0-server\n',
    );
    const lending = await admin('report lending --from 2026-11-01 --to 2026-11-30');
    expect(lending.out).toMatch(
      /^library\s+lent\s+borrowed\s+net\s+netLender\s+ownUse\nNORTH\s+0\s+0\s+0\s+false\s+0/,
    );
    expect((await admin('report crates-waiting')).out).toContain('(none)');
    expect((await admin('report turnaround --from 2026-11-30 --to 2026-11-01')).err).toMatch(
      /^invalid_range: /,
    );
  });

  it('runs as a script: npm run admin -- library list --json', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'server/cli.ts', 'library', 'list', '--json'],
      { cwd: join(import.meta.dirname, '..', '..'), env: { ...process.env, ...env } },
    );
    const codes = (JSON.parse(stdout) as { libraries: { code: string }[] }).libraries.map(
      (l) => l.code,
    );
    expect(codes).toEqual(['NORTH', 'SOUTH', 'WEST']);
  });
});
