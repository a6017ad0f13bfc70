// The Koha offline circulation file (.koc), version 1.0, with check-ins as `return` lines: a
// desk's offline check-ins, or one library's check-ins exported by the consortium server.
//
// What Koha's reader (offline_circ/enqueue_koc.pl and process_koc.pl, parse_header_line and
// parse_command_line) does with the file, and so what this writer must keep to:
// - It reads the file with Perl's `<$fh>`: records end at LF, and each is chomped and stripped
//   of CR. Line 1 is split on TAB into `key=value` pairs, each split on `=`, so no value may
//   hold a TAB or `=`.
// - Every other line is split on TAB into timestamp, command and arguments (`return` takes one:
//   the item barcode), and the timestamp is split on single whitespace characters into date,
//   time and an id (the milliseconds). A command it does not know, or a line with no command
//   (a blank line), leaves `arguments_for_command` undefined and the dereference dies under
//   `use strict`: the whole upload fails. So: no blank line anywhere, and a barcode holding a
//   TAB, CR or LF (which would split or end the line) is refused here, not written.
// - The file ends with one LF after its last line. `<$fh>` ends each record at an LF, so that
//   final LF closes the last record and yields no empty one (only a second LF would, and that
//   blank line would be fatal). It also keeps the file a POSIX text file, so that appending to
//   or concatenating files never glues two records onto one line.
// - Koha takes the branch and the user from whoever uploads, not from the file: one file holds
//   one library's check-ins, and the caller picks them.
// - The time is read as the Koha server's local time, which is the library's: lines carry the
//   library's wall-clock time, ordered by the instant they happened (in the hour a fall-back
//   repeats, wall-clock order would differ).
import { inTimeOrder, localTime } from './local-time.js';

export interface KocInput {
  /** Carrel's version, written to the header's `GeneratorVersion`. */
  generatorVersion: string;
  /** The library's IANA time zone. */
  timeZone: string;
  /** One library's offline check-ins, in any order. */
  checkins: readonly { barcode: string; scannedAt: string }[];
}

/** The .koc text: header line, then one `return` line per check-in in time order. */
export function kocFile(input: KocInput): string {
  if (!/^[^\t\r\n=]+$/.test(input.generatorVersion)) {
    throw new RangeError('A .koc header value cannot be empty or hold a TAB, CR, LF or "=".');
  }
  const lines = [`Version=1.0\tGenerator=Carrel\tGeneratorVersion=${input.generatorVersion}`];
  for (const checkin of inTimeOrder(input.checkins, (row) => row.scannedAt)) {
    if (!/^[^\t\r\n]+$/.test(checkin.barcode)) {
      throw new RangeError('A barcode in a .koc file cannot be empty or hold a TAB, CR or LF.');
    }
    const { date, time, millisecond } = localTime(checkin.scannedAt, input.timeZone);
    lines.push(`${date} ${time} ${millisecond}\treturn\t${checkin.barcode}`);
  }
  return `${lines.join('\n')}\n`;
}
