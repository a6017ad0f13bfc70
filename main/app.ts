// The desk's start and stop, in plain Node: main/index.ts hands it a data folder and owns
// nothing else, so every line here runs under vitest without the Electron binary.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface DeskOptions {
  /** Per-user folder that holds everything this desk records (Electron's `userData`). */
  dataDir: string;
}

export interface Desk {
  /** Absolute path of the data folder, which exists once `startDesk` has resolved. */
  readonly dataDir: string;
  /** Stops the desk's services; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Prepares the data folder and starts the desk's services on it. The folder is created
 * (with its parents) if missing and left untouched if present: a desk never clears or
 * rewrites what an earlier run recorded.
 */
export async function startDesk(options: DeskOptions): Promise<Desk> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  let closed: Promise<void> | undefined;
  return {
    dataDir,
    close() {
      closed ??= Promise.resolve();
      return closed;
    },
  };
}
