// Pure rules every replication store applies the same way: when two document states are
// equal, how a scope is normalised, and which libraries a new version leaves behind.
import { EVERY_LIBRARY } from './replication-store.js';
import type { JsonDocument, StoredDoc } from './replication-store.js';

/**
 * Whether two JSON values are the same document state: objects equal key by key whatever
 * their key order (a key holding `undefined` counts as absent, as in JSON), arrays equal
 * element by element in order. `null` and an absent master are the same "no document".
 */
export function sameDocumentState(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) {
    return (a ?? null) === (b ?? null);
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, index) => sameDocumentState(value, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
  const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  if (leftKeys.length !== rightKeys.length) return false;
  return leftKeys.every(
    (key) => Object.hasOwn(right, key) && sameDocumentState(left[key], right[key]),
  );
}

/**
 * A scope as stored: distinct library codes in a stable order, or `['*']` alone when every
 * library sees the document (a scope naming libraries besides `'*'` is still everyone).
 * Returns undefined when the value is not a list of non-empty strings.
 */
export function normaliseScope(scope: unknown): string[] | undefined {
  if (!Array.isArray(scope)) return undefined;
  const libraries = new Set<string>();
  for (const library of scope) {
    if (typeof library !== 'string' || library.length === 0) return undefined;
    libraries.add(library);
  }
  if (libraries.has(EVERY_LIBRARY)) return [EVERY_LIBRARY];
  return [...libraries].sort();
}

/** Whether two normalised scopes name the same libraries. */
export function sameScope(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((library, index) => library === b[index]);
}

/**
 * Libraries that saw the previous version and do not see the new one: they receive the new
 * version once more as a deletion, so the document does not linger on their desks. `'*'`
 * leaving means every library not named in the new scope.
 */
export function librariesLeft(
  previous: readonly string[],
  next: readonly string[],
): readonly string[] {
  if (next.includes(EVERY_LIBRARY)) return [];
  return previous.filter((library) => !next.includes(library));
}

/** Whether a normalised scope includes a library. */
export function scopeIncludes(scope: readonly string[], library: string): boolean {
  return scope.includes(EVERY_LIBRARY) || scope.includes(library);
}

/** A stored document without its deleted flag, as the scope rules and the data column see it. */
export function documentFields({ _deleted: _flag, ...fields }: StoredDoc): JsonDocument {
  return fields;
}
