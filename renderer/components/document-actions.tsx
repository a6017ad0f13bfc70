// Buttons that fetch a printed document from the desk (a label, a manifest, a slip) and open
// or save it.
import { useState } from 'react';
import type { DeskDocument, DeskError, DeskResult } from '../../shared/api/index.js';
import { openDocument, saveDocument } from '../lib/documents.js';
import { ErrorText } from './error-text.js';

export function DocumentActions(props: {
  /** What the document is, for the buttons' words: "label", "manifest", "slip". */
  what: string;
  /** Says which item or crate, for screen readers where several rows have the same buttons. */
  of?: string;
  fetch: () => Promise<DeskResult<DeskDocument>>;
}) {
  const [error, setError] = useState<DeskError | null>(null);
  async function run(action: (doc: DeskDocument) => void): Promise<void> {
    const answer = await props.fetch();
    if (!answer.ok) return setError(answer.error);
    setError(null);
    action(answer.value);
  }
  const suffix = props.of ? ` of ${props.of}` : '';
  return (
    <span className="document-actions">
      <button
        type="button"
        className="small"
        onClick={() => void run(openDocument)}
        aria-label={`Print ${props.what}${suffix}`}
      >
        Print {props.what}
      </button>
      <button
        type="button"
        className="small"
        onClick={() => void run(saveDocument)}
        aria-label={`Save ${props.what}${suffix}`}
      >
        Save {props.what}
      </button>
      <ErrorText error={error} />
    </span>
  );
}
