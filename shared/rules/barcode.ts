// Barcode rules applied at the moment of a scan, before anything is looked up: clean what the
// keyboard-wedge scanner typed, check it against the owning library's rule, find the owner by
// prefix. A scan that fails here is never stored: DOMAIN.md lists partial scans recorded as
// real barcodes among the failures of offline circulation today.
//
// Messages are shown to desk staff as they are. They never repeat the barcode: a patron card
// is a barcode too, and messages may end up in logs and support bundles.

/** Longest barcode a scan may produce once cleaned; anything longer is two scans run together. */
export const MAX_SCAN_LENGTH = 32;

/** What staff can always do when a scan is not trusted. */
const RESCAN = 'Scan it again, or type the number printed under the bars.';

export type CleanScanResult =
  | { ok: true; barcode: string }
  | { ok: false; code: 'barcode_empty' | 'barcode_malformed'; message: string };

/**
 * A library's rule for its item barcodes. `lengths` lists the lengths allowed (empty: any);
 * `codabar-mod10` is the 14-digit Codabar check digit of DOMAIN.md, so it also requires
 * 14 digits whatever `lengths` says.
 */
export type BarcodeRule = {
  lengths: readonly number[];
  checkDigit: 'codabar-mod10' | 'none';
};

export type BarcodeRuleResult =
  | { ok: true }
  | { ok: false; code: 'barcode_wrong_length' | 'barcode_bad_check_digit'; message: string };

/** The length of a 14-digit Codabar library barcode, check digit included. */
const CODABAR_LENGTH = 14;

/** Whitespace or a control character: what scanners and wedges add around a code. */
function isScanNoise(char: string): boolean {
  const code = char.charCodeAt(0);
  return code <= 0x20 || code === 0x7f || /\s/u.test(char);
}

/** A Codabar start and stop character (A-D, either case) around digits only. */
const codabarWrapped = /^[A-D](\d+)[A-D]$/i;

/** Printable ASCII without the space, as `barcodeField` in the schemas allows. */
const printable = /^[!-~]+$/;

/**
 * Turns what the scanner typed into a barcode, or says why it cannot be one. Strips
 * whitespace and control characters at either end (CR, LF, TAB, NUL...), then the Codabar
 * start/stop characters when they wrap an all-digit code (`A30234000517861B`). Whatever is
 * left must be printable ASCII without spaces and at most {@link MAX_SCAN_LENGTH} long: a
 * space, a control character or a non-ASCII character inside means a misread or a scanner
 * set to the wrong keyboard layout, not a barcode.
 */
export function cleanScan(raw: string): CleanScanResult {
  const chars = Array.from(raw);
  let start = 0;
  let end = chars.length;
  while (start < end && isScanNoise(chars[start] ?? '')) start += 1;
  while (end > start && isScanNoise(chars[end - 1] ?? '')) end -= 1;
  const trimmed = chars.slice(start, end).join('');

  if (trimmed === '') {
    return { ok: false, code: 'barcode_empty', message: `No barcode was read. ${RESCAN}` };
  }
  const barcode = codabarWrapped.exec(trimmed)?.[1] ?? trimmed;
  if (!printable.test(barcode)) {
    return {
      ok: false,
      code: 'barcode_malformed',
      message: `This scan has a space or a character no barcode has, so it was misread. ${RESCAN}`,
    };
  }
  if (barcode.length > MAX_SCAN_LENGTH) {
    return {
      ok: false,
      code: 'barcode_malformed',
      message: `This scan is too long for one barcode; two scans may have run together. ${RESCAN}`,
    };
  }
  return { ok: true, barcode };
}

/**
 * The Codabar check digit of a library barcode from its first 13 digits (DOMAIN.md): double
 * the digits in odd positions (1st, 3rd, ...), subtracting 9 from results over 9, add the
 * digits in even positions as they are; check = (10 - sum mod 10) mod 10.
 * `codabarCheckDigit('3023400051786')` is 1. Throws a RangeError unless given 13 digits.
 */
export function codabarCheckDigit(first13: string): number {
  if (!/^\d{13}$/.test(first13)) {
    throw new RangeError('codabarCheckDigit takes exactly 13 digits');
  }
  let sum = 0;
  for (let index = 0; index < first13.length; index += 1) {
    const digit = first13.charCodeAt(index) - 48;
    // index 0 is the 1st position, an odd one.
    if (index % 2 === 0) {
      const doubled = digit * 2;
      sum += doubled > 9 ? doubled - 9 : doubled;
    } else {
      sum += digit;
    }
  }
  return (10 - (sum % 10)) % 10;
}

/** "14", "10 or 14", "8, 10 or 14". */
function lengthList(lengths: readonly number[]): string {
  const sorted = [...new Set(lengths)].sort((a, b) => a - b).map(String);
  const last = sorted.pop() ?? '';
  return sorted.length === 0 ? last : `${sorted.join(', ')} or ${last}`;
}

function wrongLength(actual: number, expected: readonly number[], what: string): BarcodeRuleResult {
  return {
    ok: false,
    code: 'barcode_wrong_length',
    message:
      `This barcode has ${actual} characters, but this library's barcodes have ` +
      `${lengthList(expected)} ${what}. ${RESCAN}`,
  };
}

/**
 * Checks a cleaned barcode against its library's rule: the length first, then the check
 * digit. A Codabar rule needs 14 digits, so a barcode of another length fails it as the
 * wrong length, and 14 characters that are not all digits fail it as a bad check digit.
 */
export function checkBarcodeAgainstRule(barcode: string, rule: BarcodeRule): BarcodeRuleResult {
  if (rule.lengths.length > 0 && !rule.lengths.includes(barcode.length)) {
    return wrongLength(barcode.length, rule.lengths, 'characters');
  }
  if (rule.checkDigit === 'none') return { ok: true };
  if (barcode.length !== CODABAR_LENGTH) {
    return wrongLength(barcode.length, [CODABAR_LENGTH], 'digits');
  }
  const valid =
    /^\d{14}$/.test(barcode) &&
    codabarCheckDigit(barcode.slice(0, 13)) === barcode.charCodeAt(13) - 48;
  if (valid) return { ok: true };
  return {
    ok: false,
    code: 'barcode_bad_check_digit',
    message: `The check digit of this barcode is wrong, so it was probably misread. ${RESCAN}`,
  };
}

/**
 * The library a barcode's prefix assigns it to: the longest matching prefix wins, and of
 * libraries sharing that prefix the lowest code (plain string order, the same on every desk
 * whatever its locale). Empty prefixes assign nothing. The item record's owner, when there is
 * one, wins over this (DOMAIN.md): this is for barcodes the desk has no record of.
 */
export function ownerByPrefix(
  barcode: string,
  libraries: readonly { code: string; barcodePrefixes: readonly string[] }[],
): string | undefined {
  let best: { code: string; length: number } | undefined;
  for (const library of libraries) {
    for (const prefix of library.barcodePrefixes) {
      if (prefix === '' || !barcode.startsWith(prefix)) continue;
      const better =
        best === undefined ||
        prefix.length > best.length ||
        (prefix.length === best.length && library.code < best.code);
      if (better) best = { code: library.code, length: prefix.length };
    }
  }
  return best?.code;
}

export type ReadScanResult =
  | { ok: true; barcode: string }
  | Extract<CleanScanResult, { ok: false }>
  | Extract<BarcodeRuleResult, { ok: false }>;

/**
 * A scan as the desk takes it: cleaned, then checked against the rule of the library whose
 * prefix it carries (a barcode no library claims is only cleaned: it may be a known item of
 * a library without prefixes, or an unknown one that routing sets aside).
 */
export function readScan(
  raw: string,
  libraries: readonly {
    code: string;
    barcodePrefixes: readonly string[];
    barcodeRule: BarcodeRule;
  }[],
): ReadScanResult {
  const cleaned = cleanScan(raw);
  if (!cleaned.ok) return cleaned;
  const owner = ownerByPrefix(cleaned.barcode, libraries);
  const rule = libraries.find((library) => library.code === owner)?.barcodeRule;
  if (rule) {
    const checked = checkBarcodeAgainstRule(cleaned.barcode, rule);
    if (!checked.ok) return checked;
  }
  return cleaned;
}
