// The one CSV writer behind every CSV Carrel writes (the desk's crate manifests and check-in
// logs, the server's exports), so that quoting and the spreadsheet-formula guard cannot drift apart.
import { stringify } from 'csv-stringify/sync';

/**
 * A cell a spreadsheet will show as text. Excel, LibreOffice and Google Sheets evaluate a cell
 * that starts with `=`, `+`, `-` or `@` as a formula (and skip a leading TAB or CR to find one),
 * so a title or barcode from the ILS could run a formula on a staff computer. A leading
 * apostrophe makes the spreadsheet read the cell as text (OWASP's CSV injection advice).
 */
export function spreadsheetSafe(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/**
 * RFC 4180 text: a header row, then one record per row, CRLF after every record (the last
 * too). Every cell goes through `spreadsheetSafe`; an absent value is an empty cell.
 */
export function csvText(
  header: readonly string[],
  rows: readonly (readonly (string | undefined)[])[],
): string {
  const records = [header, ...rows].map((row) => row.map((cell) => spreadsheetSafe(cell ?? '')));
  return stringify(records, {
    record_delimiter: '\r\n',
    // csv-stringify quotes a field holding the record delimiter (CRLF) but not a lone CR or LF;
    // RFC 4180 wants every line break inside a field quoted, or a spreadsheet splits the row.
    quoted_match: /[\r\n]/,
  });
}
