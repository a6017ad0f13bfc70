// Test support, not used by the app: a Code 128 reader written from the symbology's tables
// (ISO/IEC 15417), so a label test proves what a scanner would read from the embedded image
// rather than trusting the library that drew it.

// Bar and space widths, in modules, of symbol values 0-106 (106 is the stop, with its final bar).
const patterns = `
  212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212
  112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131
  311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321
  112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121
  313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
  314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114
  122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212
  124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113
  114311 411113 411311 113141 114131 311141 411131 211412 211214 211232 2331112
`
  .trim()
  .split(/\s+/);
const valueOf = new Map(patterns.map((pattern, value) => [pattern, value]));

const startA = 103;
const startB = 104;
const startC = 105;
const stop = 106;

/** Run lengths of alternating dark and light pixels, from the first dark to the last dark. */
function runs(dark: readonly boolean[]): number[] {
  const first = dark.indexOf(true);
  const last = dark.lastIndexOf(true);
  if (first < 0) throw new Error('No bars in this row.');
  const lengths: number[] = [];
  let length = 0;
  for (let x = first; x <= last; x += 1) {
    if (x > first && dark[x] !== dark[x - 1]) {
      lengths.push(length);
      length = 0;
    }
    length += 1;
  }
  lengths.push(length);
  return lengths;
}

/**
 * The text a row of a Code 128 symbol carries (code sets A, B and C, with code changes and
 * shift; FNC characters are not expected). Throws on a bad pattern, start, stop or check
 * character.
 */
export function readCode128(dark: readonly boolean[]): string {
  const lengths = runs(dark);
  // The start character is 11 modules wide: it gives the module width.
  const moduleWidth = lengths.slice(0, 6).reduce((a, b) => a + b, 0) / 11;
  const modules = lengths.map((length) => Math.round(length / moduleWidth));
  const values: number[] = [];
  let at = 0;
  while (at < modules.length) {
    const width = values.length > 0 && modules.length - at === 7 ? 7 : 6;
    const pattern = modules.slice(at, at + width).join('');
    const value = valueOf.get(pattern);
    if (value === undefined) throw new Error(`Not a Code 128 pattern: ${pattern}`);
    values.push(value);
    at += width;
  }
  const [start, ...rest] = values;
  if (start === undefined || start < startA || start > startC) throw new Error('No start code.');
  if (rest.pop() !== stop) throw new Error('No stop code.');
  const check = rest.pop();
  const data = rest;
  const sum = data.reduce((total, value, index) => total + value * (index + 1), start);
  if (check !== sum % 103) throw new Error('Check character does not match.');

  let set: 'A' | 'B' | 'C' = start === startA ? 'A' : start === startB ? 'B' : 'C';
  let text = '';
  let shifted = false;
  for (const value of data) {
    const current = shifted ? (set === 'A' ? 'B' : 'A') : set;
    shifted = false;
    if (current === 'C') {
      if (value < 100) text += String(value).padStart(2, '0');
      else if (value === 100) set = 'B';
      else if (value === 101) set = 'A';
      else throw new Error(`Unexpected code set C value ${value}.`);
      continue;
    }
    if (value < 96) {
      const code = current === 'B' ? value + 32 : value < 64 ? value + 32 : value - 64;
      text += String.fromCharCode(code);
    } else if (value === 98) shifted = true;
    else if (value === 99) set = 'C';
    else if (value === 100 && current === 'A') set = 'B';
    else if (value === 101 && current === 'B') set = 'A';
    else throw new Error(`Unexpected code set ${current} value ${value}.`);
  }
  return text;
}
