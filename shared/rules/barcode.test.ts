import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_SCAN_LENGTH,
  checkBarcodeAgainstRule,
  cleanScan,
  codabarCheckDigit,
  ownerByPrefix,
  readScan,
} from './barcode.js';
import type { BarcodeRule } from './barcode.js';

const codabar14: BarcodeRule = { lengths: [14], checkDigit: 'codabar-mod10' };
const digits = fc.constantFrom(...'0123456789'.split(''));
const thirteenDigits = fc.string({ unit: digits, minLength: 13, maxLength: 13 });
/** What a scanner or wedge may add around a code. */
const scanNoise = fc.string({
  unit: fc.constantFrom(' ', '\r', '\n', '\t', '\0', '\u007f', '\u00a0', '\ufeff'),
  maxLength: 4,
});
/** A barcode as the schemas allow it, and not one a Codabar wrapper would be stripped from. */
const plainBarcode = fc
  .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)) })
  .filter((text) => text.length >= 1 && text.length <= MAX_SCAN_LENGTH)
  .filter((text) => !/^[A-D]\d+[A-D]$/i.test(text));

describe('cleanScan', () => {
  it.each([
    ['a clean scan', '30234000517861', '30234000517861'],
    ['CR LF after it', '30234000517861\r\n', '30234000517861'],
    ['spaces and a tab around it', '  \t30234000517861 ', '30234000517861'],
    ['a NUL before it', '\u000030234000517861', '30234000517861'],
    ['DEL and a no-break space', '\u007f30234000517861\u00a0', '30234000517861'],
    ['Codabar start/stop A...B', 'A30234000517861B', '30234000517861'],
    ['Codabar start/stop in lower case', 'c30234000517861d', '30234000517861'],
    ['Codabar start/stop inside noise', '\tA30234000517861B\r\n', '30234000517861'],
    ['a short wrapped code', 'D7C', '7'],
    ['only a start character: left as it is', 'A30234000517861', 'A30234000517861'],
    ['letters other than A-D: left as they are', 'E30234000517861E', 'E30234000517861E'],
    ['a wrapper round non-digits: left as it is', 'A3023X00B', 'A3023X00B'],
    ['start and stop with nothing between: left as they are', 'AB', 'AB'],
    ['a library barcode with letters and symbols', 'LIB-000123/x', 'LIB-000123/x'],
    ['exactly 32 characters', '1'.repeat(32), '1'.repeat(32)],
    ['32 digits once the Codabar wrapper is gone', `A${'1'.repeat(32)}B`, '1'.repeat(32)],
  ])('accepts %s', (_case, raw, barcode) => {
    expect(cleanScan(raw)).toEqual({ ok: true, barcode });
  });

  it.each([
    ['an empty string', '', 'barcode_empty'],
    ['only a line ending', '\r\n', 'barcode_empty'],
    ['only spaces, tabs and NULs', ' \t\u0000 ', 'barcode_empty'],
    ['a space inside', '3023 4000517861', 'barcode_malformed'],
    ['a tab inside', '3023\t4000517861', 'barcode_malformed'],
    [
      'two scans with a line ending between',
      '30234000517861\r\n30234000517861',
      'barcode_malformed',
    ],
    ['a non-ASCII letter', '30234000517861é', 'barcode_malformed'],
    ['a zero-width space', '3023\u200b4000517861', 'barcode_malformed'],
    ['33 characters', '1'.repeat(33), 'barcode_malformed'],
    ['33 digits inside a Codabar wrapper', `A${'1'.repeat(33)}B`, 'barcode_malformed'],
  ])('rejects %s', (_case, raw, code) => {
    const result = cleanScan(raw);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? '' : result.message).toMatch(/Scan it again/);
  });

  it('never puts the scan in its message (it may be a patron card)', () => {
    const result = cleanScan('23907000123456 x');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).not.toContain('23907');
  });

  it('finds the same barcode whatever noise surrounds it', () => {
    fc.assert(
      fc.property(scanNoise, plainBarcode, scanNoise, (before, barcode, after) => {
        expect(cleanScan(before + barcode + after)).toEqual({ ok: true, barcode });
      }),
    );
  });

  it('accepts only schema-valid barcodes, and cleaning one again changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), (raw) => {
        const result = cleanScan(raw);
        if (!result.ok) return;
        expect(result.barcode).toMatch(/^[!-~]{1,32}$/);
        expect(cleanScan(result.barcode)).toEqual(result);
      }),
    );
  });
});

describe('codabarCheckDigit', () => {
  it.each([
    // DOMAIN.md's worked example.
    ['3023400051786', 1],
    ['3390700012345', 2],
    ['2390700000001', 7],
    ['3000000000000', 4],
    ['3999999999999', 6],
    ['0000000000000', 0],
  ])('%s -> %i', (first13, check) => {
    expect(codabarCheckDigit(first13)).toBe(check);
  });

  it.each([['302340005178'], ['30234000517861'], ['302340005178X'], ['']])(
    'refuses %j: not 13 digits',
    (input) => {
      expect(() => codabarCheckDigit(input)).toThrow(RangeError);
    },
  );
});

describe('checkBarcodeAgainstRule', () => {
  it.each<[string, string, BarcodeRule]>([
    ['a valid 14-digit Codabar barcode', '30234000517861', codabar14],
    [
      'Codabar with no length listed',
      '30234000517861',
      { lengths: [], checkDigit: 'codabar-mod10' },
    ],
    ['any length, no check digit', 'X1', { lengths: [], checkDigit: 'none' }],
    ['one of several lengths', '1234567890', { lengths: [8, 10], checkDigit: 'none' }],
    [
      'a bad check digit when the rule has none',
      '30234000517862',
      { lengths: [14], checkDigit: 'none' },
    ],
  ])('accepts %s', (_case, barcode, rule) => {
    expect(checkBarcodeAgainstRule(barcode, rule)).toEqual({ ok: true });
  });

  it.each<[string, string, BarcodeRule, string, RegExp]>([
    ['a partial scan', '3023400051786', codabar14, 'barcode_wrong_length', /has 13 .* have 14 /],
    [
      'a length not listed',
      '123456789',
      { lengths: [8, 14, 10], checkDigit: 'none' },
      'barcode_wrong_length',
      /has 9 characters.* have 8, 10 or 14 characters/,
    ],
    [
      'Codabar, any length listed, but not 14',
      '3023400051786',
      { lengths: [], checkDigit: 'codabar-mod10' },
      'barcode_wrong_length',
      /have 14 digits/,
    ],
    ['a wrong check digit', '30234000517862', codabar14, 'barcode_bad_check_digit', /check digit/],
    ['a letter among 14', '3023400051786X', codabar14, 'barcode_bad_check_digit', /check digit/],
  ])('rejects %s', (_case, barcode, rule, code, message) => {
    const result = checkBarcodeAgainstRule(barcode, rule);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? '' : result.message).toMatch(message);
    expect(result.ok ? '' : result.message).toMatch(/Scan it again, or type/);
  });

  it('does not catch a 0-9 swap of adjacent digits (a known limit of mod 10)', () => {
    const first13 = '3023400090001';
    const valid = first13 + String(codabarCheckDigit(first13));
    const swapped = valid.slice(0, 7) + valid[8] + valid[7] + valid.slice(9);
    expect(swapped).not.toBe(valid);
    expect(checkBarcodeAgainstRule(valid, codabar14)).toEqual({ ok: true });
    expect(checkBarcodeAgainstRule(swapped, codabar14)).toEqual({ ok: true });
  });

  it('accepts every 13 digits followed by their check digit', () => {
    fc.assert(
      fc.property(thirteenDigits, (first13) => {
        const barcode = first13 + String(codabarCheckDigit(first13));
        expect(checkBarcodeAgainstRule(barcode, codabar14)).toEqual({ ok: true });
      }),
    );
  });

  it('catches every change of a single digit, the check digit included', () => {
    fc.assert(
      fc.property(thirteenDigits, (first13) => {
        const barcode = first13 + String(codabarCheckDigit(first13));
        for (let position = 0; position < barcode.length; position += 1) {
          for (const digit of '0123456789') {
            if (digit === barcode[position]) continue;
            const misread = barcode.slice(0, position) + digit + barcode.slice(position + 1);
            expect(checkBarcodeAgainstRule(misread, codabar14)).toMatchObject({
              ok: false,
              code: 'barcode_bad_check_digit',
            });
          }
        }
      }),
    );
  });

  it('catches every swap of two adjacent different digits except 0 and 9', () => {
    fc.assert(
      fc.property(thirteenDigits, fc.integer({ min: 0, max: 12 }), (first13, position) => {
        const barcode = first13 + String(codabarCheckDigit(first13));
        const left = barcode[position] ?? '';
        const right = barcode[position + 1] ?? '';
        fc.pre(left !== right && `${left}${right}` !== '09' && `${left}${right}` !== '90');
        const swapped = barcode.slice(0, position) + right + left + barcode.slice(position + 2);
        expect(checkBarcodeAgainstRule(swapped, codabar14).ok).toBe(false);
      }),
    );
  });
});

describe('ownerByPrefix', () => {
  const libraries = [
    { code: 'MAIN', barcodePrefixes: ['3390', '2390'] },
    { code: 'EAST', barcodePrefixes: ['33907', '23907'] },
    { code: 'WEST', barcodePrefixes: ['33908'] },
    { code: 'ANNEX', barcodePrefixes: ['33908'] },
    { code: 'NONE', barcodePrefixes: [''] },
  ];

  it.each([
    ['the longer of two matching prefixes', '33907000123452', 'EAST'],
    ['the only matching prefix', '33901000123452', 'MAIN'],
    ['a patron prefix', '23907000000017', 'EAST'],
    ['the lowest code when two libraries share a prefix', '33908000123452', 'ANNEX'],
    [
      'nobody when no prefix matches (an empty prefix assigns nothing)',
      '30234000517861',
      undefined,
    ],
    ['nobody for a barcode shorter than the prefix', '339', undefined],
  ])('finds %s', (_case, barcode, owner) => {
    expect(ownerByPrefix(barcode, libraries)).toBe(owner);
  });

  it('finds nobody among no libraries', () => {
    expect(ownerByPrefix('33907000123452', [])).toBeUndefined();
  });

  it('picks the longest prefix, then the lowest code, whatever order the libraries come in', () => {
    const library = fc.record({
      code: fc.constantFrom('A', 'B', 'C', 'D'),
      barcodePrefixes: fc.array(fc.constantFrom('', '3', '33', '339', '3390', '33907', '2'), {
        maxLength: 3,
      }),
    });
    const listAndShuffle = fc
      .array(library, { maxLength: 6 })
      .chain((list) =>
        fc.tuple(
          fc.constant(list),
          fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
        ),
      );
    const barcode = fc.constantFrom('33907000123452', '33100000000000', '23907000000017', '4');
    fc.assert(
      fc.property(listAndShuffle, barcode, ([list, shuffled], scanned) => {
        const matches = list.flatMap(({ code, barcodePrefixes }) =>
          barcodePrefixes
            .filter((prefix) => prefix !== '' && scanned.startsWith(prefix))
            .map((prefix) => ({ code, length: prefix.length })),
        );
        const longest = Math.max(0, ...matches.map(({ length }) => length));
        const expected = matches
          .filter(({ length }) => length === longest)
          .map(({ code }) => code)
          .sort()[0];
        expect(ownerByPrefix(scanned, list)).toBe(expected);
        expect(ownerByPrefix(scanned, shuffled)).toBe(expected);
      }),
    );
  });
});

describe('readScan', () => {
  const libraries = [
    {
      code: 'MAIN',
      barcodePrefixes: ['33907'],
      barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' as const },
    },
    {
      code: 'EAST',
      barcodePrefixes: ['E'],
      barcodeRule: { lengths: [], checkDigit: 'none' as const },
    },
  ];
  it.each([
    [
      'a good Codabar barcode of a library that checks them',
      ' 33907000517869\r\n',
      { ok: true, barcode: '33907000517869' },
    ],
    ['a wrong check digit', '33907000517861', { ok: false, code: 'barcode_bad_check_digit' }],
    ['a partial scan', '3390700051786', { ok: false, code: 'barcode_wrong_length' }],
    ['a library without a check digit', 'E-0042', { ok: true, barcode: 'E-0042' }],
    ['no library claims it: cleaned only', 'X99', { ok: true, barcode: 'X99' }],
    ['empty', '\r\n', { ok: false, code: 'barcode_empty' }],
  ])('%s', (_name, raw, expected) => {
    expect(readScan(raw, libraries)).toMatchObject(expected);
  });
});
