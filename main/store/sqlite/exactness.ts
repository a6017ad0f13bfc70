import { getIndexMeta, type RxDocumentData, type RxJsonSchema } from 'rxdb';

/**
 * RxDB's index strings only order values the way its query matcher and sort comparator do
 * when the values fit the schema: a number inside [minimum, maximum] with no more decimals
 * than `multipleOf` has, a string no longer than `maxLength` with no character below U+0020
 * and no trailing space (strings are padded with spaces). A value outside that is clamped or
 * padded into a sort key that lies: range reads would miss or wrongly include it.
 *
 * Such values are rare (they break the schema's own bounds), so instead of paying for the
 * matcher on every query, documents are marked `exact = 0` when any indexed value is not
 * faithfully represented, and queries fall back to the matcher and comparator (the judge)
 * whenever the table holds such a row or the query's own bounds are not exact.
 */

type ValueCheck = (value: unknown) => boolean;

interface FieldCheck {
  readonly getValue: (doc: unknown) => unknown;
  readonly isExact: ValueCheck;
}

// RxDB's query planner marks open ends with these sentinels.
const INDEX_MIN = Number.MIN_SAFE_INTEGER;
const INDEX_MAX = String.fromCharCode(65535);

function stringCheck(maxLength: number): ValueCheck {
  return (value) => {
    if (typeof value !== 'string') return false;
    if (value.length > maxLength) return false;
    if (value.length > 0 && value.charCodeAt(value.length - 1) === 0x20) return false;
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) < 0x20) return false;
    }
    return true;
  };
}

function numberCheck(minimum: number, maximum: number, decimals: number): ValueCheck {
  const multiplier = 10 ** decimals;
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    if (value < minimum || value > maximum) return false;
    // On the grid of multipleOf: the one double nearest to k / 10^decimals. (A tolerance
    // would not do: near 1.8e12, as in `_meta.lwt`, neighbouring doubles are 2.4e-4 apart,
    // and two of them would share one sort key while comparing unequal.)
    return Math.round(value * multiplier) / multiplier === value;
  };
}

function fieldChecks<T>(schema: RxJsonSchema<RxDocumentData<T>>, fields: string[]): FieldCheck[] {
  return getIndexMeta(schema, fields).map((meta) => {
    const type = meta.schemaPart.type;
    let isExact: ValueCheck;
    if (type === 'string') {
      isExact = stringCheck(meta.schemaPart.maxLength ?? 0);
    } else if (type === 'boolean') {
      isExact = (value) => typeof value === 'boolean';
    } else {
      const lengths = meta.parsedLengths;
      if (!lengths) throw new Error(`index field ${meta.fieldName} has no number bounds`);
      isExact = numberCheck(lengths.minimum, lengths.maximum, lengths.decimals);
    }
    return { getValue: meta.getValue as (doc: unknown) => unknown, isExact };
  });
}

/** Whether every indexed value of a document is faithfully ordered by its sort keys. */
export function documentExactness<T>(
  schema: RxJsonSchema<RxDocumentData<T>>,
  indexes: readonly (readonly string[])[],
): (doc: RxDocumentData<T>) => boolean {
  const unique = [...new Set(indexes.flat())];
  const checks = fieldChecks(schema, unique);
  return (doc) => {
    for (const check of checks) {
      if (!check.isExact(check.getValue(doc))) return false;
    }
    return true;
  };
}

/** Whether a query plan's bound keys on one index are faithfully ordered by sort keys. */
export function boundsExactness<T>(
  schema: RxJsonSchema<RxDocumentData<T>>,
  fields: readonly string[],
): (keys: readonly unknown[]) => boolean {
  const checks = fieldChecks(schema, [...fields]);
  return (keys) =>
    keys.every(
      (key, i) => key === INDEX_MIN || key === INDEX_MAX || (checks[i]?.isExact(key) ?? false),
    );
}
