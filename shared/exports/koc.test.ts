import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kocFile } from './koc.js';

/** Perl's `split(/re/, $s)`: trailing empty fields are dropped. */
function perlSplit(text: string, separator: RegExp): string[] {
  const fields = text.split(separator);
  while (fields.length > 0 && fields.at(-1) === '') fields.pop();
  return fields;
}

interface KohaOperation {
  date: string | undefined;
  time: string | undefined;
  id: string | undefined;
  command: string | undefined;
  barcode: string | undefined;
}

/**
 * What Koha makes of a .koc file: a port of offline_circ/enqueue_koc.pl's reading
 * (`<$fh>`, parse_header_line, parse_command_line, arguments_for_command), including the
 * `die` under `use strict` when a line has no known command.
 */
function kohaReads(text: string): { header: Record<string, string>; operations: KohaOperation[] } {
  // `my @input_lines = <$fh>`: each record runs to and includes its LF.
  const records = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const chomp = (line: string) => line.replace(/\n$/, '').replace(/\r/g, '');
  const [headerLine = '', ...lines] = records;
  const pairs = perlSplit(chomp(headerLine), /\t/).flatMap((field) => perlSplit(field, /=/));
  const header: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) header[pairs[i] ?? ''] = pairs[i + 1] ?? '';
  const operations = lines.map((line) => {
    const [timestamp = '', command, ...args] = perlSplit(chomp(line), /\t/);
    const [date, time, id] = perlSplit(timestamp, /\s/);
    const argumentNames = { issue: ['cardnumber', 'barcode'], return: ['barcode'] }[command ?? ''];
    if (argumentNames === undefined) {
      throw new Error(`Can't use an undefined value as an ARRAY reference (command ${command})`);
    }
    return { date, time, id, command, barcode: args[argumentNames.indexOf('barcode')] };
  });
  return { header, operations };
}

const chicago = 'America/Chicago';

describe('kohaReads (the port of Koha the tests below rely on)', () => {
  it('dies on a blank line, as Koha does', () => {
    const header = 'Version=1.0\tGenerator=Carrel\tGeneratorVersion=1\n';
    expect(() => kohaReads(`${header}2025-01-01 10:00:00 000\treturn\tX\n\n`)).toThrow();
    expect(() => kohaReads(`${header}2025-01-01 10:00:00 000\treturn\tX\n`)).not.toThrow();
    expect(() => kohaReads(`${header}2025-01-01 10:00:00 000\treturn\tX`)).not.toThrow();
  });
});

describe('kocFile', () => {
  it('writes the header, then one return per check-in in time order, local time to the ms', () => {
    const text = kocFile({
      generatorVersion: '0.1.0',
      timeZone: chicago,
      checkins: [
        // Fall back: 01:10 CST happens after 01:30 CDT, so it comes after it.
        { barcode: '30234000000003', scannedAt: '2025-11-02T07:10:00.999Z' },
        // Spring forward: 01:59:59 CST is followed by 03:00:00 CDT.
        { barcode: '30234000000001', scannedAt: '2025-03-09T07:59:59.007Z' },
        { barcode: '30234000000002', scannedAt: '2025-03-09T08:00:00.000Z' },
        { barcode: '30234000000004', scannedAt: '2025-11-02T06:30:00.250Z' },
        // New Year's Eve in Chicago, already New Year's Day in UTC.
        { barcode: 'A-0042', scannedAt: '2026-01-01T05:59:59.070Z' },
      ],
    });
    expect(text).toBe(
      'Version=1.0\tGenerator=Carrel\tGeneratorVersion=0.1.0\n' +
        '2025-03-09 01:59:59 007\treturn\t30234000000001\n' +
        '2025-03-09 03:00:00 000\treturn\t30234000000002\n' +
        '2025-11-02 01:30:00 250\treturn\t30234000000004\n' +
        '2025-11-02 01:10:00 999\treturn\t30234000000003\n' +
        '2025-12-31 23:59:59 070\treturn\tA-0042\n',
    );
    expect(text).not.toMatch(/\n\n|^\n|\r/);
    expect(kohaReads(text).operations.map((operation) => operation.id)).toEqual([
      '007',
      '000',
      '250',
      '999',
      '070',
    ]);
  });

  it('is the header line alone when there are no check-ins', () => {
    expect(kocFile({ generatorVersion: '2.3.4', timeZone: chicago, checkins: [] })).toBe(
      'Version=1.0\tGenerator=Carrel\tGeneratorVersion=2.3.4\n',
    );
  });

  it('reads back through Koha as the same returns, in time order', () => {
    const barcode = fc.stringMatching(/^[!-~]{1,40}$/);
    const instant = fc
      .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) })
      .map((ms) => new Date(ms).toISOString());
    const zone = fc.constantFrom(chicago, 'America/New_York', 'Europe/London', 'UTC');
    fc.assert(
      fc.property(
        fc.array(fc.record({ barcode, scannedAt: instant })),
        zone,
        (checkins, timeZone) => {
          const { header, operations } = kohaReads(
            kocFile({ generatorVersion: '1.2.3-beta.4', timeZone, checkins }),
          );
          expect(header).toEqual({
            Version: '1.0',
            Generator: 'Carrel',
            GeneratorVersion: '1.2.3-beta.4',
          });
          const inOrder = [...checkins].sort(
            (a, b) => Date.parse(a.scannedAt) - Date.parse(b.scannedAt),
          );
          expect(operations.map((operation) => operation.barcode)).toEqual(
            inOrder.map((checkin) => checkin.barcode),
          );
          for (const operation of operations) {
            expect(operation.command).toBe('return');
            expect(operation.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            expect(operation.time).toMatch(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);
            expect(operation.id).toMatch(/^\d{3}$/);
          }
        },
      ),
    );
  });

  it('refuses a barcode that would split or end a line, and an empty one', () => {
    for (const barcode of ['3023\t4000', '30234000\n', '\r30234000', '']) {
      expect(() =>
        kocFile({
          generatorVersion: '1',
          timeZone: chicago,
          checkins: [{ barcode, scannedAt: '2025-03-09T08:00:00.000Z' }],
        }),
      ).toThrow(RangeError);
    }
  });

  it('refuses a generator version Koha would misread', () => {
    for (const generatorVersion of ['', '1=2', '1\t2', '1\n', '1\r']) {
      expect(() => kocFile({ generatorVersion, timeZone: chicago, checkins: [] })).toThrow(
        RangeError,
      );
    }
  });

  it('refuses a scan time that is not an instant', () => {
    expect(() =>
      kocFile({
        generatorVersion: '1',
        timeZone: chicago,
        checkins: [{ barcode: 'X', scannedAt: '2025-03-09 08:00:00' }],
      }),
    ).toThrow(RangeError);
  });
});
