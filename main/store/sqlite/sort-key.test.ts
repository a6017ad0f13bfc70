import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCompactSortKey, toSortKey } from './sort-key.js';

const sign = (n: number) => Math.sign(n);
const jsOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Any UTF-16 code units at or above U+0020, lone surrogates included. */
const indexChars = fc
  .array(fc.integer({ min: 0x20, max: 0xffff }), { maxLength: 12 })
  .map((units) => String.fromCharCode(...units));

describe('sort keys', () => {
  it('compact keys compare as JavaScript compares the strings, across every code unit range', () => {
    fc.assert(
      fc.property(indexChars, indexChars, (a, b) => {
        // Strings without trailing spaces of their own (exactness.ts marks the others).
        const x = a.trimEnd();
        const y = b.trimEnd();
        expect(sign(Buffer.compare(toCompactSortKey(x), toCompactSortKey(y)))).toBe(jsOrder(x, y));
      }),
      { numRuns: 2_000 },
    );
  });

  it("compact keys of RxDB's padded strings keep the padded order, as UTF-16 keys do", () => {
    fc.assert(
      fc.property(indexChars, indexChars, fc.nat(8), (a, b, extra) => {
        const width = Math.max(a.length, b.length) + extra;
        const x = a.trimEnd().padEnd(width, ' ');
        const y = b.trimEnd().padEnd(width, ' ');
        const expected = jsOrder(x, y);
        expect(sign(Buffer.compare(toCompactSortKey(x), toCompactSortKey(y)))).toBe(expected);
        expect(sign(Buffer.compare(toSortKey(x), toSortKey(y)))).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes ASCII as one byte per character and drops only the trailing padding', () => {
    expect(toCompactSortKey('0L00   31000  ').toString('latin1')).toBe('0L00   31000');
    expect([...toCompactSortKey('a\u00e9\uffff')]).toEqual([0x61, 0x80, 0xe9, 0xc0, 0xff, 0xff]);
    expect(toCompactSortKey('    ').length).toBe(0);
  });
});
