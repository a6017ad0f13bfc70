import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDocumentValidator, ulidField } from '../../shared/index.js';
import { holdIdFor } from './ils-import.js';
import { headerKey, holdMappings, itemMappings, type IlsFormat } from './ils-mappings.js';

/** Reads a mapping's fields from a plain record keyed by the documented column names. */
function rowOf(format: IlsFormat, kind: 'items' | 'holds', cells: Record<string, string>) {
  const mapping = kind === 'items' ? itemMappings[format] : holdMappings[format];
  const byKey = new Map(Object.entries(cells).map(([name, value]) => [headerKey(name), value]));
  return mapping.read((field) => {
    const value = (mapping.columns[field] ?? [])
      .map((name) => byKey.get(headerKey(name)))
      .find((cell) => cell !== undefined);
    return value === '' ? undefined : value;
  });
}

const kohaItem = { barcode: 'B1', biblionumber: '1', title: 'T', homebranch: 'NORTH' };

describe('headerKey', () => {
  it('makes one column of the ways staff save a header', () => {
    expect(new Set(['Item ID', 'item_id', 'ITEMID', ' Item-ID '].map(headerKey))).toEqual(
      new Set(['itemid']),
    );
  });
});

describe('item statuses', () => {
  it.each([
    [{}, 'available'],
    [{ onloan: '2026-11-20' }, 'checked_out'],
    [{ itemlost: '1' }, 'lost'],
    [{ itemlost: '2' }, 'lost'],
    [{ itemlost: '4' }, 'missing'],
    [{ damaged: '1' }, 'damaged'],
    [{ withdrawn: '1', itemlost: '1' }, 'withdrawn'],
    [{ itemlost: '1', onloan: '2026-11-20' }, 'lost'],
  ])('Koha %j is %s', (flags, status) => {
    expect(rowOf('koha', 'items', { ...kohaItem, ...flags })).toMatchObject({ status });
  });

  it.each([
    ['Available', 'available'],
    ['Checked out', 'checked_out'],
    ['On holds shelf', 'on_hold_shelf'],
    ['Discard/Weed', 'withdrawn'],
    ['Long Overdue', 'lost'],
    ['8', 'on_hold_shelf'],
  ])('Evergreen %s is %s', (status, expected) => {
    const row = { barcode: 'B1', record: '1', title: 'T', owning_lib: 'NORTH', status };
    expect(rowOf('evergreen', 'items', row)).toMatchObject({ status: expected });
  });

  it('refuses an Evergreen status with no place in routing', () => {
    const row = { barcode: 'B1', record: '1', title: 'T', owning_lib: 'NORTH', status: 'Bindery' };
    expect(rowOf('evergreen', 'items', row)).toBe('copy status "Bindery" has no Carrel status');
  });

  it.each([
    ['STACKS', 'available'],
    ['CHECKEDOUT', 'checked_out'],
    ['LOST-CLAIM', 'lost'],
    ['INTRANSIT', 'in_transit'],
    ['DISCARD', 'withdrawn'],
  ])('Symphony location %s is %s', (location, status) => {
    const row = {
      item_id: 'B1',
      catalog_key: '1',
      title: 'T',
      library: 'NORTH',
      current_location: location,
    };
    expect(rowOf('symphony', 'items', row)).toMatchObject({ status });
  });
});

describe('hold statuses', () => {
  const koha = {
    reserve_id: '1',
    borrowernumber: '2',
    biblionumber: '3',
    branchcode: 'NORTH',
    reservedate: '2026-11-01',
  };
  it.each([
    ['', 'pending'],
    ['P', 'captured'],
    ['T', 'in_transit'],
    ['W', 'on_shelf'],
    ['F', 'fulfilled'],
  ])('Koha found %j is %s', (found, status) => {
    expect(rowOf('koha', 'holds', { ...koha, found })).toMatchObject({ status });
  });

  it('Koha: a cancellation date ends the hold, an unknown found code is refused', () => {
    expect(
      rowOf('koha', 'holds', { ...koha, found: 'W', cancellationdate: '2026-11-02' }),
    ).toMatchObject({ status: 'cancelled' });
    expect(rowOf('koha', 'holds', { ...koha, found: 'X' })).toBe(
      'found "X" is not a Koha hold state',
    );
  });

  const symphony = {
    hold_key: '1',
    user_key: 'u',
    catalog_key: 'c',
    pickup_library: 'NORTH',
    date_placed: '20261101',
  };
  it.each([
    [{ hold_status: 'ACTIVE' }, 'pending'],
    [{ hold_status: 'ACTIVE', available: 'Y' }, 'on_shelf'],
    [{ hold_status: 'INACTIVE', inactive_reason: 'FILLED' }, 'fulfilled'],
    [{ hold_status: 'INACTIVE', inactive_reason: 'EXPIRED' }, 'expired'],
    [{ hold_status: 'INACTIVE', inactive_reason: 'CANCELLED' }, 'cancelled'],
    [{ hold_status: 'In Transit' }, 'in_transit'],
  ])('Symphony %j is %s', (cells, status) => {
    expect(rowOf('symphony', 'holds', { ...symphony, ...cells })).toMatchObject({ status });
  });
});

describe('holdIdFor', () => {
  const validUlid = compileDocumentValidator({
    version: 0,
    primaryKey: 'id',
    type: 'object',
    properties: { id: ulidField },
    required: ['id'],
  });
  it('is a ULID, the same for the same ILS hold and different for different ones', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        const id = holdIdFor(a);
        expect(validUlid({ id })).toBe(true);
        expect(id[0]).toMatch(/[0-7]/);
        expect(holdIdFor(a)).toBe(id);
        if (a !== b) expect(holdIdFor(b)).not.toBe(id);
      }),
    );
  });
});
