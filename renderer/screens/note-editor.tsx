// Writing a note. An edit carries the revision it began from: if another desk's edit arrived
// in between, the desk keeps both (this edit becomes a conflict copy) and the page says so.
import { useState, type FormEvent } from 'react';
import type { DeskError, NoteView } from '../../shared/api/index.js';
import { ErrorText } from '../components/error-text.js';
import { useDesk } from '../desk-client/desk-context.js';

export type EditTarget = { kind: 'new' } | { kind: 'edit'; note: NoteView };

/** "Opening, Closing , opening" -> ["opening", "closing"]. */
function readTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((tag) => tag.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

export function NoteEditor({
  target,
  onSaved,
  onCancel,
}: {
  target: EditTarget;
  onSaved: (noteId: string) => void;
  onCancel: () => void;
}) {
  const client = useDesk();
  const note = target.kind === 'edit' ? target.note : undefined;
  const [title, setTitle] = useState(note?.title ?? '');
  const [body, setBody] = useState(note?.body ?? '');
  const [tags, setTags] = useState(note?.tags.join(', ') ?? '');
  const [scope, setScope] = useState<'consortium' | 'library'>(note?.scope ?? 'library');
  const [error, setError] = useState<DeskError | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const answer = await client.notes.save({
      ...(note ? { id: note.noteId, baseRevision: note.revisionNumber } : {}),
      title: title.trim(),
      body,
      tags: readTags(tags),
      scope,
    });
    if (!answer.ok) return setError(answer.error);
    if (answer.value.conflict) {
      setConflict(answer.value.note.noteId);
      return;
    }
    onSaved(answer.value.note.noteId);
  }
  if (conflict) {
    return (
      <div role="alert" className="notice">
        <p>
          <span aria-hidden="true">⚠ </span>
          This note was changed at another desk while you edited it. Your edit is kept as a conflict
          copy beside the original.
        </p>
        <button type="button" onClick={() => onSaved(conflict)}>
          Show both
        </button>
      </div>
    );
  }
  return (
    <form
      onSubmit={(event) => void submit(event)}
      className="note-editor"
      aria-labelledby="editor-heading"
    >
      <h2 id="editor-heading">{note ? `Edit: ${note.title}` : 'New note'}</h2>
      <label htmlFor="note-title-input">Title</label>
      <input
        id="note-title-input"
        required
        maxLength={200}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <label htmlFor="note-body-input">Text (Markdown)</label>
      <textarea
        id="note-body-input"
        rows={14}
        value={body}
        onChange={(e) => setBody(e.target.value)}
      />
      <label htmlFor="note-tags-input">Tags, separated by commas</label>
      <input id="note-tags-input" value={tags} onChange={(e) => setTags(e.target.value)} />
      <label htmlFor="note-scope-input">Who reads it</label>
      <select
        id="note-scope-input"
        value={scope}
        disabled={Boolean(note)}
        onChange={(e) => setScope(e.target.value === 'consortium' ? 'consortium' : 'library')}
      >
        <option value="library">This library</option>
        <option value="consortium">The whole consortium (editors only)</option>
      </select>
      <div className="actions">
        <button type="submit">Save</button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorText error={error} />
    </form>
  );
}
