import { describe, expect, it } from 'vitest';
import { collectionSchemas, deskCollectionNames } from '../../../shared/index.js';
import { migrationStrategies } from './index.js';

describe('migrationStrategies', () => {
  it.each(deskCollectionNames)('has one strategy per version step of %s, and no more', (name) => {
    const { version } = collectionSchemas[name];
    const steps = Array.from({ length: version }, (_, index) => String(index + 1));
    expect(Object.keys(migrationStrategies[name]).sort()).toEqual(steps.sort());
    for (const step of steps) {
      expect(typeof migrationStrategies[name][Number(step)]).toBe('function');
    }
  });
});
