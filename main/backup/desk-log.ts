// The desk's log as a file in its data folder, so a support bundle can carry it: one line per
// event, newest file desk.log, older ones desk.log.1 .. desk.log.<keep>. Lines are written
// synchronously (appendFileSync): a desk that crashes keeps the line that explains why.
// Whoever logs keeps patron data out of the line (DOMAIN.md); the support bundle scrubs the
// hold fields it can find as a second guard.
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const LOG_FOLDER = 'logs';
export const LOG_FILE = 'desk.log';

export interface DeskLogOptions {
  /** A file reaching this size is rotated (default 1 MiB). */
  readonly maxBytes?: number;
  /** Rotated files kept besides desk.log (default 4). */
  readonly keep?: number;
  readonly now?: () => Date;
}

/** Returns the function that appends one line (with its time) to <dataDir>/logs/desk.log. */
export function createDeskLog(
  dataDir: string,
  options: DeskLogOptions = {},
): (line: string) => void {
  const folder = join(dataDir, LOG_FOLDER);
  const path = join(folder, LOG_FILE);
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const keep = options.keep ?? 4;
  const now = options.now ?? (() => new Date());
  mkdirSync(folder, { recursive: true });
  let size = existsSync(path) ? statSync(path).size : 0;

  function rotate(): void {
    rmSync(`${path}.${keep}`, { force: true });
    for (let n = keep - 1; n >= 1; n -= 1) {
      if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
    }
    if (existsSync(path)) renameSync(path, `${path}.1`);
    size = 0;
  }

  return (line) => {
    // One event, one line: a message with line breaks would read as several.
    const text = `${now().toISOString()} ${line.replace(/\r?\n/g, ' | ')}\n`;
    const bytes = Buffer.byteLength(text);
    try {
      if (size > 0 && size + bytes > maxBytes) rotate();
      appendFileSync(path, text);
      size += bytes;
    } catch (error) {
      // A full disk must not stop the desk from working; the line still reaches stderr.
      console.error(`carrel: cannot write the log file ${path}: ${(error as Error).message}`);
    }
  };
}

/** The log files, oldest first (so concatenated they read in order). */
export function deskLogFiles(dataDir: string): string[] {
  const path = join(dataDir, LOG_FOLDER, LOG_FILE);
  const files: string[] = [];
  for (let n = 1; existsSync(`${path}.${n}`); n += 1) files.unshift(`${path}.${n}`);
  if (existsSync(path)) files.push(path);
  return files;
}
