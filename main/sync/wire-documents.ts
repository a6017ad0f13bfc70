// Documents between the desk's RxDB and the wire (shared/sync/wire.ts): on the wire a document
// is its collection's fields plus `_deleted`, nothing of RxDB's own bookkeeping. Note
// attachments do not replicate yet (wire protocol version 1 has no place for them):
// `_attachments` stays at the desk, and every comparison here ignores it.
import { sameValue, type WireDocument } from '../../shared/index.js';

/** RxDB's own fields: never sent, never compared. */
const rxdbOnly = new Set(['_rev', '_meta', '_attachments']);

/** The wire form of a document as RxDB hands it to the push handler. */
export function toWire(doc: object): WireDocument {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (!rxdbOnly.has(key) && value !== undefined) wire[key] = value;
  }
  wire['_deleted'] = (doc as { _deleted?: unknown })._deleted === true;
  return wire as WireDocument;
}

/**
 * Whether two versions of a document are the same on the wire: every field and `_deleted`
 * equal, RxDB's bookkeeping ignored. This is each collection's `isEqual` (RxDB calls it very
 * often, so it compares in place rather than copying).
 */
export function sameWireDocument(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  if ((left['_deleted'] === true) !== (right['_deleted'] === true)) return false;
  const counted = (doc: Record<string, unknown>) =>
    Object.keys(doc).filter(
      (key) => !rxdbOnly.has(key) && key !== '_deleted' && doc[key] !== undefined,
    );
  const keys = counted(left);
  if (keys.length !== counted(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]));
}
