// Training notes: a list filtered by tag or found by full-text search, a note rendered from
// Markdown, editing (an edit names the revision it began from, so nothing is overwritten),
// history, and conflict copies shown beside their original.
import { useState } from 'react';
import type { NoteSummary } from '../../shared/api/index.js';
import { ErrorText } from '../components/error-text.js';
import { useDeskQuery } from '../lib/use-desk-query.js';
import { NoteEditor, type EditTarget } from './note-editor.js';
import { NoteView } from './note-view.js';

function NoteList({
  onOpen,
  selected,
}: {
  onOpen: (noteId: string) => void;
  selected: string | null;
}) {
  const [tag, setTag] = useState('');
  const [text, setText] = useState('');
  const list = useDeskQuery((c) => c.notes.list(tag ? { tag } : {}), tag, ['notes']);
  const search = useDeskQuery(
    async (c) =>
      text.trim() ? c.notes.search({ text: text.trim() }) : { ok: true as const, value: [] },
    text,
    ['notes'],
  );
  const tags = [...new Set((list.data ?? []).flatMap((note) => note.tags))].sort();
  const searching = text.trim().length > 0;
  return (
    <section aria-labelledby="notes-list-heading" className="notes-list">
      <h2 id="notes-list-heading">Notes</h2>
      <label htmlFor="notes-search">Search notes</label>
      <input
        id="notes-search"
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <label htmlFor="notes-tag">Tag</label>
      <select id="notes-tag" value={tag} onChange={(e) => setTag(e.target.value)}>
        <option value="">All tags</option>
        {tags.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <ErrorText error={list.error ?? search.error} />
      <ul className="note-links" aria-label={searching ? 'Search results' : 'All notes'}>
        {searching
          ? (search.data ?? []).map((hit) => (
              <li key={hit.note.noteId}>
                <NoteLink note={hit.note} onOpen={onOpen} selected={selected} />
                <p className="snippet">
                  {hit.snippet.map((part, index) =>
                    part.match ? (
                      <mark key={index}>{part.text}</mark>
                    ) : (
                      <span key={index}>{part.text}</span>
                    ),
                  )}
                </p>
              </li>
            ))
          : (list.data ?? []).map((note) => (
              <li key={note.noteId}>
                <NoteLink note={note} onOpen={onOpen} selected={selected} />
              </li>
            ))}
      </ul>
      {searching && search.data?.length === 0 && <p>No note has these words.</p>}
    </section>
  );
}

function NoteLink({
  note,
  onOpen,
  selected,
}: {
  note: NoteSummary;
  onOpen: (id: string) => void;
  selected: string | null;
}) {
  return (
    <button
      type="button"
      className="note-link"
      aria-current={note.noteId === selected ? 'true' : undefined}
      onClick={() => onOpen(note.noteId)}
    >
      {note.conflictOf && <span className="chip tone-alert">Conflict copy</span>} {note.title}
      <span className="muted">
        {' '}
        · {note.scope === 'consortium' ? 'Consortium' : 'This library'} · {note.tags.join(', ')}
      </span>
    </button>
  );
}

export function NotesScreen() {
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<EditTarget | null>(null);
  return (
    <div className="notes">
      <h1>Training notes</h1>
      <div className="notes-layout">
        <div>
          <button type="button" onClick={() => setEditing({ kind: 'new' })}>
            New note
          </button>
          <NoteList
            selected={selected}
            onOpen={(id) => {
              setEditing(null);
              setSelected(id);
            }}
          />
        </div>
        <div className="note-pane">
          {editing ? (
            <NoteEditor
              target={editing}
              onSaved={(noteId) => {
                setEditing(null);
                setSelected(noteId);
              }}
              onCancel={() => setEditing(null)}
            />
          ) : selected ? (
            <NoteView
              noteId={selected}
              onEdit={(note) => setEditing({ kind: 'edit', note })}
              onOpen={setSelected}
            />
          ) : (
            <p>Choose a note, search, or write a new one.</p>
          )}
        </div>
      </div>
    </div>
  );
}
