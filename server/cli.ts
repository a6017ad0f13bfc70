// `npm run admin -- <command>`: the consortium's administration from a terminal. It talks to a
// running server over HTTP with the administrator token (CARREL_SERVER_URL, default
// http://127.0.0.1:8787, and CARREL_ADMIN_TOKEN), rather than opening the data folder itself:
// the same command then works on SQLite and PostgreSQL, every write goes through the one
// process that tells desks to pull, and no second writer competes for the SQLite file.
//
// Exit status: 0 done, 1 the server refused (its code and message are printed), 2 a usage
// mistake (nothing was sent).
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: npm run admin -- <command> [options]

  library add --code NORTH --name "North Library" [--time-zone America/Chicago (default: this computer's)]
      [--prefix 31234 ...] [--float-to SOUTH ...] [--float-call-prefix "FIC" ...]
      [--hold-shelf-days 7] [--courier-stop N1] [--crate-capacity 40] [--codabar]
      [--no-local-pickup-first]
  library update --code NORTH [any option of "library add"]
  library list
  desk code --library NORTH [--role desk|editor]
  desk list [--library NORTH]
  desk revoke <deskId>
  import items|holds --format koha|evergreen|symphony <file.csv> [--skip-bad-rows] [--dry-run]
  export checkins --library NORTH --from 2026-11-01 --to 2026-11-30 --format koc|csv --out <file>
  report crates-waiting|turnaround|lending|hold-fill [--from 2026-11-01 --to 2026-11-30]

  Add --json to any command for the server's answer as JSON.
  Environment: CARREL_SERVER_URL (default http://127.0.0.1:8787), CARREL_ADMIN_TOKEN.`;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A mistake on this side: nothing was sent. Usage is shown unless the mistake is elsewhere. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
  }
}

const options = {
  code: { type: 'string' },
  name: { type: 'string' },
  'time-zone': { type: 'string' },
  prefix: { type: 'string', multiple: true },
  'float-to': { type: 'string', multiple: true },
  'float-call-prefix': { type: 'string', multiple: true },
  'hold-shelf-days': { type: 'string' },
  'courier-stop': { type: 'string' },
  'crate-capacity': { type: 'string' },
  codabar: { type: 'boolean' },
  'no-local-pickup-first': { type: 'boolean' },
  library: { type: 'string' },
  role: { type: 'string' },
  format: { type: 'string' },
  'skip-bad-rows': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

function need(values: Values, name: 'code' | 'library' | 'format' | 'from' | 'to' | 'out'): string {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

function whole(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${option} must be a whole number.`);
  return Number(text);
}

/** The library fields the options give; only those given (an update changes only them). */
function libraryFields(values: Values): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (values.name !== undefined) fields['name'] = values.name;
  if (values['time-zone'] !== undefined) fields['timeZone'] = values['time-zone'];
  if (values.prefix !== undefined) fields['barcodePrefixes'] = values.prefix;
  if (values['float-to'] !== undefined || values['float-call-prefix'] !== undefined) {
    fields['floatingRules'] = {
      libraries: values['float-to'] ?? [],
      callNumberPrefixes: values['float-call-prefix'] ?? [],
    };
  }
  const days = whole(values['hold-shelf-days'], 'hold-shelf-days');
  if (days !== undefined) fields['holdShelfDays'] = days;
  if (values['courier-stop'] !== undefined) fields['courierStop'] = values['courier-stop'];
  const capacity = whole(values['crate-capacity'], 'crate-capacity');
  if (capacity !== undefined) fields['crateCapacity'] = capacity;
  if (values.codabar === true)
    fields['barcodeRule'] = { lengths: [14], checkDigit: 'codabar-mod10' };
  if (values['no-local-pickup-first'] === true) fields['localPickupFirst'] = false;
  return fields;
}

/** Rows as aligned columns, for people; --json gives the data itself. */
function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = [columns, ...rows.map((row) => columns.map((column) => formatCell(row[column])))];
  const widths = columns.map((_c, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.join(' ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: Headers;
}

class Refused extends Error {
  constructor(readonly answer: Answer) {
    const error = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
    super(`${error?.code ?? `http_${answer.status}`}: ${error?.message ?? answer.text}`);
  }
}

export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals.length === 0) {
    (values.help === true ? io.out : io.err)(USAGE);
    return values.help === true ? 0 : 2;
  }
  const base = (env['CARREL_SERVER_URL'] ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
  const token = env['CARREL_ADMIN_TOKEN'];

  async function call(
    method: string,
    path: string,
    body?: { json: unknown } | { csv: string },
  ): Promise<Answer> {
    if (!token)
      throw new UsageError('Set CARREL_ADMIN_TOKEN to the server’s administrator token.', false);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let payload: string | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = 'text/csv; charset=utf-8';
      payload = body.csv;
    }
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
    } catch (error) {
      throw new UsageError(
        `Cannot reach the server at ${base}: ${error instanceof Error ? error.message : String(error)}`,
        false,
      );
    }
    const text = await response.text();
    let parsedBody: unknown = null;
    if ((response.headers.get('content-type') ?? '').includes('application/json')) {
      parsedBody = JSON.parse(text) as unknown;
    }
    const answer = { status: response.status, body: parsedBody, text, headers: response.headers };
    if (!response.ok) throw new Refused(answer);
    return answer;
  }

  const print = (answer: unknown, human: () => string) =>
    io.out(values.json === true ? JSON.stringify(answer, null, 2) : human());

  const [group, action, ...rest] = positionals;
  try {
    switch (`${group} ${action ?? ''}`) {
      case 'library add': {
        const fields: Record<string, unknown> = {
          code: need(values, 'code'),
          timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
          ...libraryFields(values),
        };
        if (fields['name'] === undefined) throw new UsageError('--name is required.');
        const { body } = await call('POST', '/v1/admin/libraries', { json: fields });
        print(body, () => `Added library ${String(fields['code'])}.`);
        return 0;
      }
      case 'library update': {
        const code = need(values, 'code');
        const fields = libraryFields(values);
        if (Object.keys(fields).length === 0) throw new UsageError('Say what to change.');
        const { body } = await call('PATCH', `/v1/admin/libraries/${encodeURIComponent(code)}`, {
          json: fields,
        });
        const changed = (body as { changed: boolean }).changed;
        print(body, () =>
          changed ? `Changed library ${code}.` : `Library ${code} already said that.`,
        );
        return 0;
      }
      case 'library list': {
        const { body } = await call('GET', '/v1/admin/libraries');
        const libraries = (body as { libraries: Record<string, unknown>[] }).libraries;
        print(body, () =>
          table(libraries, [
            'code',
            'name',
            'barcodePrefixes',
            'holdShelfDays',
            'courierStop',
            'timeZone',
          ]),
        );
        return 0;
      }
      case 'desk code': {
        const role = values.role ?? 'desk';
        const { body } = await call('POST', '/v1/admin/desks/enrolment-codes', {
          json: { library: need(values, 'library'), role },
        });
        const answer = body as { code: string; expiresAt: string; library: string };
        print(
          body,
          () =>
            `Enrolment code for a ${role} of ${answer.library}: ${answer.code}\n` +
            `It works once, until ${answer.expiresAt}.`,
        );
        return 0;
      }
      case 'desk list': {
        const query = values.library ? `?library=${encodeURIComponent(values.library)}` : '';
        const { body } = await call('GET', `/v1/admin/desks${query}`);
        const desks = (body as { desks: Record<string, unknown>[] }).desks;
        print(body, () => table(desks, ['deskId', 'library', 'role', 'name', 'revoked']));
        return 0;
      }
      case 'desk revoke': {
        const deskId = rest[0];
        if (deskId === undefined) throw new UsageError('Which desk? desk revoke <deskId>');
        const { body } = await call('POST', `/v1/admin/desks/${encodeURIComponent(deskId)}/revoke`);
        print(body, () => `Revoked desk ${deskId}; its token is refused from now on.`);
        return 0;
      }
      case 'import items':
      case 'import holds': {
        const file = rest[0];
        if (file === undefined)
          throw new UsageError(`Which file? import ${action} --format ... <file.csv>`);
        const query = new URLSearchParams({ format: need(values, 'format') });
        if (values['skip-bad-rows'] === true) query.set('skipBadRows', 'true');
        if (values['dry-run'] === true) query.set('dryRun', 'true');
        const csv = readFileSync(file, 'utf8');
        try {
          const { body } = await call(
            'POST',
            `/v1/admin/ils-import/${action}?${query.toString()}`,
            { csv },
          );
          print(body, () => importSummary(body as ImportSummary));
          return 0;
        } catch (error) {
          const report =
            error instanceof Refused
              ? (error.answer.body as { report?: ImportSummary }).report
              : undefined;
          if (report && values.json !== true) io.err(importSummary(report));
          throw error;
        }
      }
      case 'export checkins': {
        const query = new URLSearchParams({
          library: need(values, 'library'),
          from: need(values, 'from'),
          to: need(values, 'to'),
          format: need(values, 'format'),
        });
        const out = need(values, 'out');
        const answer = await call('GET', `/v1/admin/exports/checkins?${query.toString()}`);
        writeFileSync(out, answer.text, 'utf8');
        const count = answer.headers.get('x-carrel-checkins') ?? '?';
        print({ file: out, checkins: Number(count) }, () => `Wrote ${count} check-ins to ${out}.`);
        return 0;
      }
      case 'report crates-waiting':
      case 'report turnaround':
      case 'report lending':
      case 'report hold-fill': {
        const query = new URLSearchParams();
        if (values.from !== undefined) query.set('from', values.from);
        if (values.to !== undefined) query.set('to', values.to);
        const { body } = await call(
          'GET',
          `/v1/admin/reports/${action}${query.size > 0 ? `?${query.toString()}` : ''}`,
        );
        print(body, () => reportText(action ?? '', body as Record<string, unknown>));
        return 0;
      }
      default:
        throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.showUsage ? `${error.message}\n\n${USAGE}` : error.message);
      return 2;
    }
    if (error instanceof Refused) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

interface ImportSummary {
  kind: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  rejected: { line: number; reason: string }[];
  ignoredColumns: string[];
  written: boolean;
}

function importSummary(report: ImportSummary): string {
  const lines = [
    `${report.rows} rows: ${report.created} new, ${report.updated} changed, ` +
      `${report.unchanged} unchanged, ${report.skipped} skipped, ${report.rejected.length} bad.`,
    report.written ? `Written.` : `Nothing written.`,
  ];
  if (report.ignoredColumns.length > 0) {
    lines.push(
      `${report.ignoredColumns.length} columns ignored (not stored): ${report.ignoredColumns.join(', ')}`,
    );
  }
  for (const row of report.rejected.slice(0, 50)) lines.push(`  line ${row.line}: ${row.reason}`);
  if (report.rejected.length > 50) lines.push(`  ... and ${report.rejected.length - 50} more`);
  return lines.join('\n');
}

function reportText(name: string, body: Record<string, unknown>): string {
  const rows = (key: string) => (body[key] ?? []) as Record<string, unknown>[];
  switch (name) {
    case 'crates-waiting':
      return [
        `Crates waiting as of ${String(body['asOf'])}:`,
        table(rows('crates'), [
          'labelBarcode',
          'origin',
          'destination',
          'status',
          'since',
          'ageHours',
        ]),
        '',
        'By destination:',
        table(rows('byDestination'), ['library', 'sealed', 'received', 'oldestHours']),
      ].join('\n');
    case 'turnaround':
      return table(rows('routes'), [
        'from',
        'to',
        'fromStop',
        'toStop',
        'crates',
        'medianHours',
        'p90Hours',
        'maxHours',
      ]);
    case 'lending':
      return table(rows('libraries'), [
        'library',
        'lent',
        'borrowed',
        'net',
        'netLender',
        'ownUse',
      ]);
    default:
      return table(
        [...rows('libraries'), body['consortium'] as Record<string, unknown>],
        ['library', 'filled', 'medianDays', 'p90Days', 'maxDays'],
      );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
  process.exitCode = code;
}
