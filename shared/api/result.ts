// Every desk API call answers `{ ok: true, value }` or `{ ok: false, error: { code, message } }`.
// `code` is stable (the UI acts on it); `message` is for desk staff and names no patron.

export const deskErrorCodes = [
  /** The arguments do not match the method's schema (wrong type, unknown field, too long). */
  'invalid_arguments',
  /** No such method on the contract. */
  'unknown_method',
  /** The call needs a signed-in staff member. */
  'not_signed_in',
  /** Staff sign-in: this library wants a PIN and none was given, or it was wrong. */
  'pin_required',
  'pin_wrong',
  /** The desk has no library yet (not enrolled, no demo loaded). */
  'desk_not_set_up',
  /** A scan was empty, had characters a barcode cannot have, or failed the library's rule. */
  'barcode_empty',
  'barcode_malformed',
  'barcode_wrong_length',
  'barcode_bad_check_digit',
  'library_unknown',
  'crate_not_found',
  /** The crate's state does not allow this (adding to a sealed crate, closing an open one). */
  'crate_wrong_state',
  /** The crate belongs to another library for this action (receiving a crate sent elsewhere). */
  'crate_wrong_library',
  'crate_item_not_in_crate',
  'crate_item_already_in_crate',
  /** A crate to the desk's own library. */
  'crate_to_self',
  'hold_not_found',
  'range_invalid',
  /** No such training note here, or one of another library (which this desk may not read). */
  'note_not_found',
  /** Consortium-wide notes are created and edited only by staff the desk lists as editors. */
  'not_editor',
  /** A note's scope is set when it is created; an edit cannot move it to the other scope. */
  'note_scope_fixed',
  'attachment_not_found',
  /** A file over the attachment size limit (5 MiB, decoded). */
  'attachment_too_large',
  /** A file whose base64 text is not valid base64 (or is empty). */
  'attachment_unreadable',
  /** A file whose bytes are not the type it claims to be (PNG, JPEG or PDF). */
  'attachment_type_mismatch',
  /**
   * Enrolment: the consortium server refused the code (unknown, already used or expired).
   * Staff ask the consortium for a new code.
   */
  'enrol_refused',
  /**
   * Enrolment: the consortium server did not answer (wrong address, no network, server
   * down) or answered something the desk cannot read. Nothing was changed at the desk.
   */
  'server_unreachable',
  /** The desk belongs to a consortium server: demo data or standalone setup would mix in. */
  'desk_enrolled',
  'checkin_not_found',
  /** Undo: only the desk's latest check-in can be undone. */
  'undo_not_latest',
  /** Undo: the check-in is more than 10 minutes old, or its crate was sealed since. */
  'undo_too_late',
  /**
   * A backup or profile export could not be written (disk full, folder not writable). The
   * desk database was not changed.
   */
  'backup_failed',
  /** The disk is full: the call was rolled back, nothing of it recorded. */
  'storage_full',
  /** The desk's data folder cannot be written (read-only disk or file): nothing recorded. */
  'storage_read_only',
  /** Something failed that staff cannot fix; the desk's log has the detail. */
  'internal',
] as const;

export type DeskErrorCode = (typeof deskErrorCodes)[number];

export interface DeskError {
  readonly code: DeskErrorCode;
  readonly message: string;
}

export type DeskResult<T> = { ok: true; value: T } | { ok: false; error: DeskError };

export function ok<T>(value: T): DeskResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: DeskErrorCode, message: string): DeskResult<T> {
  return { ok: false, error: { code, message } };
}
