import { describe, expect, it } from 'vitest';
import {
  librariesLeft,
  normaliseScope,
  sameDocumentState,
  sameScope,
  scopeIncludes,
} from './document-state.js';

describe('sameDocumentState', () => {
  it.each([
    [
      'equal objects in another key order',
      { a: 1, b: { c: [1, 2] } },
      { b: { c: [1, 2] }, a: 1 },
      true,
    ],
    ['no master and a null assumed state', null, undefined, true],
    ['a key holding undefined and an absent key', { a: 1, b: undefined }, { a: 1 }, true],
    ['a different value', { a: 1 }, { a: 2 }, false],
    ['an extra key', { a: 1 }, { a: 1, b: null }, false],
    ['arrays in another order', [1, 2], [2, 1], false],
    ['an array and an object with the same keys', [1], { 0: 1 }, false],
    ['a number and its string', { a: 1 }, { a: '1' }, false],
    ['null and an object', null, {}, false],
    ['the deleted flag', { id: 'x', _deleted: false }, { id: 'x', _deleted: true }, false],
  ])('%s: %s', (_label, a, b, same) => {
    expect(sameDocumentState(a, b)).toBe(same);
    expect(sameDocumentState(b, a)).toBe(same);
  });
});

describe('scopes', () => {
  it.each([
    [
      ['B', 'A', 'B'],
      ['A', 'B'],
    ],
    [['A', '*'], ['*']],
    [[], []],
    [['A', ''], undefined],
    [['A', 7], undefined],
    ['A', undefined],
  ])('normalises %j to %j', (scope, expected) => {
    expect(normaliseScope(scope)).toEqual(expected);
  });

  it.each([
    [['A', 'B'], ['B'], ['A']],
    [['A', 'B'], ['*'], []],
    [['*'], ['A'], ['*']],
    [['A'], ['A', 'C'], []],
    [[], ['A'], []],
  ])('from %j to %j leaves %j', (previous, next, left) => {
    expect(librariesLeft(previous, next)).toEqual(left);
  });

  it('compares and searches normalised scopes', () => {
    expect(sameScope(['A', 'B'], ['A', 'B'])).toBe(true);
    expect(sameScope(['A'], ['A', 'B'])).toBe(false);
    expect(scopeIncludes(['*'], 'Z')).toBe(true);
    expect(scopeIncludes(['A'], 'Z')).toBe(false);
  });
});
