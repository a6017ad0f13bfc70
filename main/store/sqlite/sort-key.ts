/**
 * RxDB orders index strings as JavaScript compares strings: by UTF-16 code units. SQLite's
 * default collation compares UTF-8 bytes, which orders code points above U+FFFF before
 * U+E000..U+FFFF the other way round. A BLOB holding the string as UTF-16 big-endian
 * compares (memcmp, then length) exactly as JavaScript does, lone surrogates included, so
 * index columns store that instead of TEXT.
 */
export function toSortKey(indexString: string): Buffer {
  const bytes = Buffer.from(indexString, 'utf16le');
  return bytes.swap16();
}
