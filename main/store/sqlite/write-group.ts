import type Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';

interface OpenGroup {
  readonly token: object;
  /** What to tell RxDB if the group rolls back: the state before each of its writes. */
  readonly undo: (() => void)[];
}

/**
 * Several RxDB writes, possibly to several collections, committed as ONE SQLite transaction:
 * all of them or none survive a crash, with a single fsync. A check-in uses this to record the
 * scan, the crate it was dropped into and the hold it captured together.
 *
 * While a group is open, writes from any other async context wait for it to end (they would
 * otherwise land inside it and be undone by its rollback); writes from inside the group (found
 * with AsyncLocalStorage, which follows awaits) join it as savepoints. Reads from inside the
 * group go to the write connection, so the group sees its own writes.
 *
 * Change events are emitted as each write lands, as RxDB expects: its query cache and
 * event-reduce rely on them to answer the group's own later queries. If the group rolls
 * back, every write's inverse event is emitted (an insert becomes a delete, an update goes
 * back to the previous state), so RxDB's query results match the database again.
 */
export class WriteGroups {
  private open: OpenGroup | undefined;
  private waiting: (() => void)[] = [];
  private readonly context = new AsyncLocalStorage<object>();

  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(
    private readonly writer: Database.Database,
    private readonly onCommit: () => void = () => undefined,
  ) {
    this.begin = writer.prepare('BEGIN IMMEDIATE');
    this.commit = writer.prepare('COMMIT');
    this.rollback = writer.prepare('ROLLBACK');
  }

  /** Whether any group is open. */
  isOpen(): boolean {
    return this.open !== undefined;
  }

  /** Whether the calling async context is inside the open group. */
  inGroup(): boolean {
    return this.open !== undefined && this.context.getStore() === this.open.token;
  }

  /**
   * Whether the caller must wait before writing: a group is open and it is not the caller's.
   * Callers loop `while (groups.mustWait()) await groups.ended();` and then write with no
   * await in between: a check followed by an await could let a group open in the gap.
   */
  mustWait(): boolean {
    return this.open !== undefined && !this.inGroup();
  }

  /** Resolves when the open group (if any) has committed or rolled back. */
  ended(): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Inside a group, registers what undoes a write's events if the group rolls back. */
  onRollback(undo: () => void): void {
    if (this.open && this.inGroup()) this.open.undo.push(undo);
  }

  /**
   * Runs `work` as one transaction. Resolves after COMMIT (durable: see sqlite-file.ts);
   * if `work` throws, everything it wrote is rolled back and the error is passed on.
   * A group started inside a group joins the outer one.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inGroup()) return work();
    while (this.mustWait()) await this.ended();
    const group: OpenGroup = { token: {}, undo: [] };
    this.open = group;
    try {
      this.begin.run();
      let result: T;
      try {
        result = await this.context.run(group.token, work);
        this.commit.run();
        this.onCommit();
      } catch (error) {
        if (this.writer.inTransaction) this.rollback.run();
        this.open = undefined;
        for (const undo of group.undo.reverse()) undo();
        throw error;
      }
      return result;
    } finally {
      this.open = undefined;
      const woken = this.waiting;
      this.waiting = [];
      for (const wake of woken) wake();
    }
  }
}
