// Full-text search over training notes: an in-memory SQLite FTS5 index beside the desk
// database, built from the notes collection when the desk starts and kept current from the
// collection's change stream, so notes saved here, notes arriving by sync, edits, deletions
// and rolled-back write groups (RxDB hears their inverse events) are all reflected as soon
// as they are written. It holds nothing the notes collection does not: being in memory, it
// is rebuilt at every start and losing it loses nothing.
//
// Search text from staff never reaches FTS5 as syntax: every word becomes a quoted string
// (with `"` doubled inside), so quotes, `*`, `-`, `:`, `^`, parentheses, NEAR, AND, OR and
// NOT are searched as text, control characters separate words, and a word with no letter
// or digit is dropped rather than turned into an empty phrase. Only the last word is a
// prefix (search as you type).
import Database from 'better-sqlite3';
import type { RxChangeEvent, RxDocumentData } from 'rxdb';
import type { Note, NoteSnippetPart } from '../../shared/index.js';
import { deskData } from './desk-data.js';
import type { DeskDatabase } from './desk-database.js';

export interface NoteSearchQuery {
  /** What staff typed. */
  readonly text: string;
  /** This desk's library, whose library notes are searched with the consortium's; null: none. */
  readonly libraryCode: string | null;
  readonly limit: number;
}

export interface NoteSearchMatch {
  readonly noteId: string;
  /** Body text around the best match, the matched words marked. */
  readonly snippet: NoteSnippetPart[];
}

export interface NoteSearch {
  /** Best matches first; resolves once the index has been built. Never parses `text` as syntax. */
  search(query: NoteSearchQuery): Promise<NoteSearchMatch[]>;
  /** Stops listening and frees the index (also done when the database closes). */
  close(): void;
}

/** At most this many words of a search are used; the rest are ignored. */
const MAX_WORDS = 16;
/** bm25 weights of the title, body and tags columns: a title match outranks body matches. */
const WEIGHTS = '10.0, 1.0, 5.0';
/** Snippet markers: control characters that are stripped from indexed text, so unambiguous. */
const OPEN = '\u0002';
const CLOSE = '\u0003';

/**
 * The FTS5 query for what staff typed, or undefined when it has no word to search for.
 * Words are split on white space; each is one quoted FTS5 string, which FTS5 tokenises like
 * the indexed text (so "crate-label" finds the words crate and label next to each other).
 */
export function noteSearchExpression(text: string): string | undefined {
  const words = text
    // SQLite ends the expression at a NUL (an unterminated string); no control character
    // is part of a word anyway.
    .replace(/\p{Cc}/gu, ' ')
    .split(/\s+/u)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, MAX_WORDS);
  if (words.length === 0) return undefined;
  return words
    .map((word, index) => {
      const quoted = `"${word.replaceAll('"', '""')}"`;
      return index === words.length - 1 ? `${quoted}*` : quoted;
    })
    .join(' ');
}

function snippetParts(snippet: string): NoteSnippetPart[] {
  const parts: NoteSnippetPart[] = [];
  let rest = snippet;
  while (rest !== '') {
    const open = rest.indexOf(OPEN);
    if (open < 0) {
      parts.push({ text: rest, match: false });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open), match: false });
    const close = rest.indexOf(CLOSE, open + 1);
    const end = close < 0 ? rest.length : close;
    if (end > open + 1) parts.push({ text: rest.slice(open + 1, end), match: true });
    rest = rest.slice(end + 1);
  }
  return parts;
}

const plain = (text: string) => text.replaceAll(OPEN, ' ').replaceAll(CLOSE, ' ');

/** Builds the index from `db.notes` and keeps it current until `close` or the database closes. */
export function createNoteSearch(db: DeskDatabase): NoteSearch {
  const sqlite = new Database(':memory:');
  // note_row maps a note id to the FTS rowid and carries what search filters on.
  sqlite.exec(`
    CREATE TABLE note_row (
      rowid INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      scope TEXT NOT NULL,
      library_code TEXT
    );
    CREATE VIRTUAL TABLE note_text USING fts5(
      title, body, tags,
      tokenize = 'unicode61 remove_diacritics 2',
      prefix = '2 3'
    );
  `);
  const statements = {
    rowOf: sqlite.prepare<[string], number>('SELECT rowid FROM note_row WHERE id = ?').pluck(),
    addRow: sqlite.prepare<[string, string, string | null]>(
      'INSERT INTO note_row (id, scope, library_code) VALUES (?, ?, ?)',
    ),
    changeRow: sqlite.prepare<[string, string | null, number]>(
      'UPDATE note_row SET scope = ?, library_code = ? WHERE rowid = ?',
    ),
    dropRow: sqlite.prepare<[number]>('DELETE FROM note_row WHERE rowid = ?'),
    addText: sqlite.prepare<[number, string, string, string]>(
      'INSERT INTO note_text (rowid, title, body, tags) VALUES (?, ?, ?, ?)',
    ),
    dropText: sqlite.prepare<[number]>('DELETE FROM note_text WHERE rowid = ?'),
    search: sqlite.prepare<
      { query: string; library: string | null; limit: number },
      { noteId: string; snippet: string }
    >(
      `SELECT r.id AS noteId,
              snippet(note_text, 1, char(2), char(3), '…', 24) AS snippet
         FROM note_text JOIN note_row r ON r.rowid = note_text.rowid
        WHERE note_text MATCH @query
          AND (r.scope = 'consortium' OR (r.scope = 'library' AND r.library_code = @library))
        ORDER BY bm25(note_text, ${WEIGHTS}), r.id
        LIMIT @limit`,
    ),
  };

  const put = (note: RxDocumentData<Note>): void => {
    const library = note.libraryCode ?? null;
    let rowid = statements.rowOf.get(note.id);
    if (rowid === undefined) {
      rowid = Number(statements.addRow.run(note.id, note.scope, library).lastInsertRowid);
    } else {
      statements.dropText.run(rowid);
      statements.changeRow.run(note.scope, library, rowid);
    }
    statements.addText.run(rowid, plain(note.title), plain(note.body), plain(note.tags.join(' ')));
  };
  const drop = (noteId: string): void => {
    const rowid = statements.rowOf.get(noteId);
    if (rowid === undefined) return;
    statements.dropText.run(rowid);
    statements.dropRow.run(rowid);
  };
  const apply = sqlite.transaction((events: readonly RxChangeEvent<Note>[]) => {
    for (const event of events) {
      if (event.operation === 'DELETE' || event.documentData._deleted) drop(event.documentId);
      else put(event.documentData);
    }
  });
  const load = sqlite.transaction((notes: readonly RxDocumentData<Note>[]) => {
    for (const note of notes) put(note);
  });

  // Listen first, then read: changes that land while the collection is read are queued and
  // applied after it in order. Each event carries the note's whole state after the write,
  // so replaying one the read already saw only writes the same state again.
  let queued: RxChangeEvent<Note>[] | undefined = [];
  let closed = false;
  const subscription = db.notes.$.subscribe((event) => {
    if (closed) return;
    if (queued) queued.push(event);
    else apply([event]);
  });
  const ready: Promise<void> = deskData(db)
    .find('notes', { selector: {} })
    .then((notes) => {
      if (closed) return;
      load(notes);
      apply(queued ?? []);
      queued = undefined;
    });
  // A failed build is reported by every search; it must not surface as an unhandled rejection.
  ready.catch(() => undefined);

  const close = (): void => {
    if (closed) return;
    closed = true;
    subscription.unsubscribe();
    sqlite.close();
  };
  db.onClose.push(close);

  return {
    async search({ text, libraryCode, limit }) {
      await ready;
      if (closed) throw new Error('the note search index is closed');
      const query = noteSearchExpression(text);
      if (query === undefined) return [];
      return statements.search.all({ query, library: libraryCode, limit }).map((row) => ({
        noteId: row.noteId,
        snippet: snippetParts(row.snippet),
      }));
    },
    close,
  };
}
