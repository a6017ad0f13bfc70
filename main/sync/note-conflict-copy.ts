// A note edit that lost at the server is not thrown away: it becomes a new note, a conflict
// copy linking back to the original (`conflictOf`), with its own first revision record, as
// the notes service makes one when an edit meets a newer revision at the desk. Staff merge
// the two and delete the copy.
import { createHash } from 'node:crypto';
import { conflictCopyTitle, type Note, type NoteRevision } from '../../shared/index.js';
import type { DeskContext } from '../context.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID made from a time and a seed instead of a random source: the same losing version
 * always gives the same copy id, so a conflict resolved twice (RxDB retries a resolution
 * when the desk wrote the note in between) makes one copy, not two.
 */
export function ulidFrom(timeMs: number, seed: string): string {
  let time = Math.min(Math.max(Math.floor(timeMs), 0), 2 ** 48 - 1);
  let id = '';
  for (let i = 0; i < 10; i += 1) {
    id = `${CROCKFORD[time % 32] ?? '0'}${id}`;
    time = Math.floor(time / 32);
  }
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  for (let i = 0; i < 16; i += 1) id += CROCKFORD[(digest[i] ?? 0) & 31] ?? '0';
  return id;
}

/** The ids of the copy of `loser` and of its revision record. */
export function conflictCopyIds(loser: Note): { noteId: string; revisionId: string } {
  const seed = `${loser.id}|${loser.revisionNumber}|${loser.updatedAt}|${loser.deskId}`;
  const time = Date.parse(loser.updatedAt);
  const at = Number.isNaN(time) ? 0 : time;
  return { noteId: ulidFrom(at, `${seed}|note`), revisionId: ulidFrom(at, `${seed}|revision`) };
}

/** Writes the copy of `loser` and its revision in one write group, unless it exists already. */
export async function keepNoteConflictCopy(ctx: DeskContext, loser: Note): Promise<void> {
  const { noteId, revisionId } = conflictCopyIds(loser);
  await ctx.store.atomically(async () => {
    if (await ctx.store.data.get('notes', noteId)) return;
    const stamp = { updatedAt: ctx.now().toISOString(), deskId: ctx.settings().deskId };
    const copy: Note = {
      id: noteId,
      title: conflictCopyTitle(loser.title),
      body: loser.body,
      tags: loser.tags,
      scope: loser.scope,
      ...(loser.libraryCode === undefined ? {} : { libraryCode: loser.libraryCode }),
      author: loser.author,
      revisionNumber: 1,
      conflictOf: loser.id,
      ...stamp,
    };
    const revision: NoteRevision = {
      id: revisionId,
      noteId,
      revisionNumber: 1,
      title: copy.title,
      body: copy.body,
      tags: copy.tags,
      author: copy.author,
      savedAt: stamp.updatedAt,
      ...stamp,
    };
    await ctx.store.data.insert('notes', [copy]);
    await ctx.store.data.insert('noteRevisions', [revision]);
  });
}
