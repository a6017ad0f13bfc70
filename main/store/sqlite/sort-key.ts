/**
 * RxDB orders index strings as JavaScript compares strings: by UTF-16 code units. SQLite's
 * default collation compares UTF-8 bytes, which orders code points above U+FFFF before
 * U+E000..U+FFFF the other way round. Index columns are BLOBs, compared with memcmp (then
 * length), holding the index string in one of two encodings that both compare exactly as
 * JavaScript compares the strings. A table keeps the encoding it was created with (see
 * `SortKeyEncoding` in sqlite-instance.ts).
 */
export type SortKeyEncoder = (indexString: string) => Buffer;

/**
 * `utf16`: the index string as UTF-16 big-endian, lone surrogates included. Tables created
 * before the compact encoding existed use it; it is two bytes per character, and RxDB pads
 * every string field to its maxLength, so a key is mostly padding.
 */
export const toSortKey: SortKeyEncoder = (indexString) => {
  const bytes = Buffer.from(indexString, 'utf16le');
  return bytes.swap16();
};

/**
 * `compact`: every UTF-16 code unit u as one byte (u < 0x80), two bytes 0x80|(u>>8), u&0xFF
 * (u < 0x4000) or three bytes 0xC0, u>>8, u&0xFF. The codes are prefix-free and ordered as
 * the code units they stand for, so keys compare as the strings do. The trailing spaces
 * (RxDB's padding of the last field) are left out: for strings whose characters are all
 * U+0020 or above, dropping the trailing spaces of two strings of the same padded length
 * keeps their order (where one key ends, the other has a character above the space). Values
 * with characters below U+0020 or trailing spaces of their own are not ordered faithfully by
 * RxDB's padding either; exactness.ts marks such documents and bounds, and their reads do
 * not trust the keys.
 */
export const toCompactSortKey: SortKeyEncoder = (indexString) => {
  let end = indexString.length;
  while (end > 0 && indexString.charCodeAt(end - 1) === 0x20) end -= 1;
  let ascii = true;
  for (let i = 0; i < end; i++) {
    if (indexString.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(indexString.slice(0, end), 'latin1');
  const bytes = Buffer.alloc(end * 3);
  let at = 0;
  for (let i = 0; i < end; i++) {
    const unit = indexString.charCodeAt(i);
    if (unit < 0x80) {
      bytes[at++] = unit;
    } else if (unit < 0x4000) {
      bytes[at++] = 0x80 | (unit >> 8);
      bytes[at++] = unit & 0xff;
    } else {
      bytes[at++] = 0xc0;
      bytes[at++] = unit >> 8;
      bytes[at++] = unit & 0xff;
    }
  }
  return bytes.subarray(0, at);
};
