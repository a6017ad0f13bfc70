import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvText, spreadsheetSafe } from './csv.js';

describe('spreadsheetSafe', () => {
  it.each([
    ['=HYPERLINK("http://x.example","click")', `'=HYPERLINK("http://x.example","click")`],
    ['+1+2', `'+1+2`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\t=1', `'\t=1`],
    ['\r=1', `'\r=1`],
  ])('puts an apostrophe before %j', (cell, expected) => {
    expect(spreadsheetSafe(cell)).toBe(expected);
  });

  it.each(['', 'Beloved', ' =1', '1=2', "'=1", '30234000517861', 'a-b', '\n=1'])(
    'leaves %j as it is',
    (cell) => {
      expect(spreadsheetSafe(cell)).toBe(cell);
    },
  );
});

describe('csvText', () => {
  it('writes a header row and CRLF after every record', () => {
    expect(
      csvText(
        ['a', 'b'],
        [
          ['1', '2'],
          ['3', undefined],
        ],
      ),
    ).toBe('a,b\r\n1,2\r\n3,\r\n');
    expect(csvText(['a', 'b'], [])).toBe('a,b\r\n');
  });

  it('quotes commas, quotes and every kind of line break (RFC 4180)', () => {
    const text = csvText(
      ['x'],
      [['a,b'], ['say "hi"'], ['one\ntwo'], ['one\rtwo'], ['one\r\ntwo']],
    );
    expect(text).toBe('x\r\n"a,b"\r\n"say ""hi"""\r\n"one\ntwo"\r\n"one\rtwo"\r\n"one\r\ntwo"\r\n');
  });

  it('guards formula cells, then quotes them when they need it', () => {
    expect(csvText(['x', 'y'], [['=1+1', '@a,b']])).toBe(`x,y\r\n'=1+1,"'@a,b"\r\n`);
  });

  it('reads back, through a CSV parser, as the guarded cells', () => {
    const cell = fc.string({ unit: 'binary', maxLength: 30 });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { maxLength: 10 }),
        (rows) => {
          const parsed: unknown = parse(csvText(['a', 'b', 'c'], rows), {
            relax_column_count: false,
          });
          expect(parsed).toEqual([['a', 'b', 'c'], ...rows.map((row) => row.map(spreadsheetSafe))]);
        },
      ),
    );
  });
});
