// One note: rendered Markdown (raw HTML in a note is dropped, never run), its history, and for
// a conflict copy the original beside it so staff can merge the two.
import { useState } from 'react';
import Markdown from 'react-markdown';
import type { NoteView as Note } from '../../shared/api/index.js';
import { ErrorText } from '../components/error-text.js';
import { formatDateTime } from '../lib/format.js';
import { useDeskQuery } from '../lib/use-desk-query.js';

export function NoteBody({ body }: { body: string }) {
  return (
    <div className="markdown">
      <Markdown skipHtml>{body}</Markdown>
    </div>
  );
}

function NoteHeader({ note }: { note: Note }) {
  return (
    <p className="muted">
      {note.scope === 'consortium'
        ? 'Consortium note'
        : `Note of ${note.libraryCode ?? 'this library'}`}{' '}
      · revision {note.revisionNumber} by {note.author} · {formatDateTime(note.updatedAt)}
      {note.tags.length > 0 ? ` · tags: ${note.tags.join(', ')}` : ''}
    </p>
  );
}

function History({ noteId }: { noteId: string }) {
  const history = useDeskQuery((c) => c.notes.history({ noteId }), noteId, [
    'notes',
    'noteRevisions',
  ]);
  return (
    <section aria-labelledby="history-heading">
      <h3 id="history-heading">History</h3>
      <ErrorText error={history.error} />
      {history.data?.length === 0 && <p>No revision of this note is recorded here.</p>}
      <ol className="history">
        {(history.data ?? []).map((revision) => (
          <li key={revision.revisionId}>
            <p>
              <strong>Revision {revision.revisionNumber}</strong>: {revision.title} ·{' '}
              {revision.author} · {formatDateTime(revision.savedAt)}
            </p>
            <pre className="revision-body">{revision.body}</pre>
          </li>
        ))}
      </ol>
    </section>
  );
}

function ConflictCompare({ copy, onOpen }: { copy: Note; onOpen: (noteId: string) => void }) {
  const originalId = copy.conflictOf ?? '';
  const original = useDeskQuery((c) => c.notes.get({ noteId: originalId }), originalId, ['notes']);
  return (
    <section aria-labelledby="conflict-heading" className="conflict">
      <h3 id="conflict-heading">
        <span aria-hidden="true">⚠ </span>Conflict copy: two desks edited this note at once
      </h3>
      <p>Nothing was lost. Merge what you need into the original, then delete this copy.</p>
      <ErrorText error={original.error} />
      <div className="side-by-side" data-testid="conflict-side-by-side">
        <article aria-labelledby="conflict-original">
          <h4 id="conflict-original">Original: {original.data?.title ?? '…'}</h4>
          {original.data && <NoteHeader note={original.data} />}
          {original.data && <NoteBody body={original.data.body} />}
          <button type="button" className="small" onClick={() => onOpen(originalId)}>
            Open the original
          </button>
        </article>
        <article aria-labelledby="conflict-copy">
          <h4 id="conflict-copy">This copy: {copy.title}</h4>
          <NoteHeader note={copy} />
          <NoteBody body={copy.body} />
        </article>
      </div>
    </section>
  );
}

export function NoteView({
  noteId,
  onEdit,
  onOpen,
}: {
  noteId: string;
  onEdit: (note: Note) => void;
  onOpen: (noteId: string) => void;
}) {
  const note = useDeskQuery((c) => c.notes.get({ noteId }), noteId, ['notes']);
  const [showHistory, setShowHistory] = useState(false);
  if (note.error) return <ErrorText error={note.error} />;
  if (!note.data) return <p>Reading the note…</p>;
  const data = note.data;
  return (
    <article aria-labelledby="note-title" className="note">
      <h2 id="note-title">{data.title}</h2>
      <NoteHeader note={data} />
      <div className="actions">
        <button type="button" onClick={() => onEdit(data)}>
          Edit
        </button>
        <button
          type="button"
          aria-expanded={showHistory}
          onClick={() => setShowHistory(!showHistory)}
        >
          {showHistory ? 'Hide history' : 'History'}
        </button>
      </div>
      {data.conflictOf ? (
        <ConflictCompare copy={data} onOpen={onOpen} />
      ) : (
        <NoteBody body={data.body} />
      )}
      {showHistory && <History noteId={noteId} />}
    </article>
  );
}
