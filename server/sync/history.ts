// Knowing that the consortium database went back in time. A restored backup holds fewer
// commits than the server had served: desks hold checkpoints past its newest seq (their pulls
// would skip the seqs given out again) and acknowledged writes it no longer has. So the
// server keeps, next to its data, the highest seq it has seen committed (a small file,
// rewritten shortly after commits); when it starts on a database whose newest seq is below
// that mark, in the same history, it starts a new history, and every desk, seeing the new id
// on its next answer, syncs everything again (shared/sync/wire.ts, HISTORY_HEADER).
//
// The file is written at most every WRITE_DELAY_MS and without fsync: a backup taken in the
// last moments before the data was lost can pass unnoticed, and a restore into a new data
// folder (or a PostgreSQL database restored under running servers) has no mark to compare
// with. The desks are the other witness: a desk names the history its checkpoints belong to
// (HISTORY_HEADER on its requests), and a pull from a checkpoint past the database's newest
// seq in that same history can only come from a database that went back in time
// (`pulledPast`); the server then starts a new history as above. It works while the restored
// database has not yet given out as many seqs again, which a restore a few minutes old
// already outlasts by far. One desk's word is enough, so a desk could make every desk sync
// everything again: the log names the desk, and desks can do so at most once per
// EVIDENCE_SPACING_MS. `--new-history` starts a new history by hand (docs/admin/backups.md). With several instances on one PostgreSQL database, every
// instance should stop for a restore; one that kept running reads the history again every
// REFRESH_MS and answers with the new one from then on (desks ignore the old one meanwhile).

/** How often a running server reads the history again (another instance may start one). */
const REFRESH_MS = 10_000;
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ReplicationStore } from '../store/index.js';

const WRITE_DELAY_MS = 100;
/** Least time between two new histories started on desks' word (pulledPast). */
const EVIDENCE_SPACING_MS = 60 * 60_000;

export interface HistoryWatch {
  /** The history id the server answers with now. */
  current(): string;
  /**
   * A desk of history `deskHistory` pulls `collection` after `seq`. When that is the current
   * history and the database holds nothing that far, the database went back in time: a new
   * history starts (resolves once it did). `desk` names the desk in the log.
   */
  pulledPast(collection: string, seq: number, deskHistory: string, desk: string): Promise<void>;
  /** Writes the mark one last time and stops watching commits. */
  close(): void;
}

interface Mark {
  readonly history: string;
  readonly seq: number;
}

function readMark(file: string): Mark | undefined {
  try {
    const mark = JSON.parse(readFileSync(file, 'utf8')) as Partial<Mark>;
    if (typeof mark.history === 'string' && Number.isSafeInteger(mark.seq)) {
      return { history: mark.history, seq: Number(mark.seq) };
    }
  } catch {
    // No mark yet (a new data folder), or a torn one: nothing to compare with.
  }
  return undefined;
}

export async function watchHistory(
  store: ReplicationStore,
  options: {
    /** The mark's file, in the server's data folder. */
    readonly file: string;
    readonly collections: readonly string[];
    /** Start a new history whatever the mark says (an administrator's restore). */
    readonly newHistory?: boolean;
    readonly log: (line: string) => void;
    /** How often the history is read again (default REFRESH_MS). */
    readonly refreshMs?: number;
    /** Least time between new histories started on desks' word (default EVIDENCE_SPACING_MS). */
    readonly evidenceSpacingMs?: number;
  },
): Promise<HistoryWatch> {
  let seq = 0;
  for (const collection of options.collections) {
    seq = Math.max(seq, (await store.latest(collection)).seq);
  }
  const mark = readMark(options.file);
  let history = await store.history();
  const behind = mark !== undefined && mark.history === history && mark.seq > seq;
  if (options.newHistory === true || behind) {
    history = await store.startNewHistory();
    options.log(
      behind
        ? `The database holds commits up to ${seq}, but this server has served up to ` +
            `${mark.seq}: it was restored from a backup. Started a new history (${history}); ` +
            'every desk will sync everything again.'
        : `Started a new history (${history}); every desk will sync everything again.`,
    );
  }

  let lastEvidenceAt = Number.NEGATIVE_INFINITY;
  let switching: Promise<void> | undefined;
  const startOnEvidence = (collection: string, past: number, newest: number, desk: string) => {
    if (Date.now() - lastEvidenceAt < (options.evidenceSpacingMs ?? EVIDENCE_SPACING_MS)) {
      return Promise.resolve();
    }
    lastEvidenceAt = Date.now();
    const left = history;
    return (async () => {
      // Another instance may have started one already; then that one it is.
      const stored = await store.history();
      history = stored === left ? await store.startNewHistory() : stored;
      options.log(
        `Desk ${desk} pulls ${collection} after change ${past}, but the database ends at ` +
          `${newest} in the same history: it went back in time (restored from a backup?). ` +
          (stored === left
            ? `Started a new history (${history}); every desk will sync everything again.`
            : `Another server instance started a new history (${history}); answering with it.`),
      );
      writeOrSay();
    })();
  };

  const write = () => {
    const temporary = `${options.file}.tmp`;
    writeFileSync(temporary, JSON.stringify({ history, seq } satisfies Mark));
    renameSync(temporary, options.file);
  };
  /** After the start: a mark that cannot be written is said, and the server goes on. */
  const writeOrSay = () => {
    try {
      write();
    } catch (error) {
      options.log(`Could not write ${options.file}: ${String(error)}`);
    }
  };
  write();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = store.onCommit((change) => {
    if (change.checkpoint.seq <= seq) return;
    seq = change.checkpoint.seq;
    timer ??= setTimeout(() => {
      timer = undefined;
      writeOrSay();
    }, WRITE_DELAY_MS);
  });
  const refresh = setInterval(() => {
    store.history().then(
      (stored) => {
        if (stored === history) return;
        options.log(
          `Another server instance started a new history (${stored}); answering with it.`,
        );
        history = stored;
      },
      () => undefined, // closed or unreachable: the next round tries again
    );
  }, options.refreshMs ?? REFRESH_MS);
  refresh.unref();
  return {
    current: () => history,
    async pulledPast(collection, past, deskHistory, desk) {
      if (deskHistory !== history || past <= seq) return;
      const newest = (await store.latest(collection)).seq;
      seq = Math.max(seq, newest); // another instance's commits, as far as this one knows
      if (past <= newest || deskHistory !== history) return;
      switching ??= startOnEvidence(collection, past, newest, desk).finally(() => {
        switching = undefined;
      });
      await switching;
    },
    close() {
      clearInterval(refresh);
      stop();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      try {
        write();
      } catch {
        // Closing anyway; the next start compares with the mark as it was.
      }
    },
  };
}
