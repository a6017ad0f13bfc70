import type Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';

interface OpenGroup {
  readonly token: object;
  /** Change events of the group's writes, emitted only once the group has committed. */
  readonly afterCommit: (() => void)[];
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
 */
export class WriteGroups {
  private open: OpenGroup | undefined;
  private waiting: (() => void)[] = [];
  private readonly context = new AsyncLocalStorage<object>();

  constructor(private readonly writer: Database.Database) {}

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

  /** Runs `emit` now, or, inside a group, after the group commits (never if it rolls back). */
  afterCommit(emit: () => void): void {
    if (this.open && this.inGroup()) this.open.afterCommit.push(emit);
    else emit();
  }

  /**
   * Runs `work` as one transaction. Resolves after COMMIT (durable: see sqlite-file.ts);
   * if `work` throws, everything it wrote is rolled back and the error is passed on.
   * A group started inside a group joins the outer one.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inGroup()) return work();
    while (this.mustWait()) await this.ended();
    const group: OpenGroup = { token: {}, afterCommit: [] };
    this.open = group;
    try {
      this.writer.prepare('BEGIN IMMEDIATE').run();
      let result: T;
      try {
        result = await this.context.run(group.token, work);
        this.writer.prepare('COMMIT').run();
      } catch (error) {
        if (this.writer.inTransaction) this.writer.prepare('ROLLBACK').run();
        throw error;
      }
      this.open = undefined;
      for (const emit of group.afterCommit) emit();
      return result;
    } finally {
      this.open = undefined;
      const woken = this.waiting;
      this.waiting = [];
      for (const wake of woken) wake();
    }
  }
}
