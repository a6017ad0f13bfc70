// A desk error as staff read it: the desk's message, announced to screen readers.
import type { DeskError } from '../../shared/api/index.js';

export function ErrorText({ error }: { error: DeskError | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error-text" role="alert" data-code={error.code}>
      <span aria-hidden="true">✕ </span>
      {error.message}
    </p>
  );
}
