// Documents as the scripted wire server (wire-server.ts) holds them for the desk's sync tests:
// a library and numbered items of MAIN, written by the server.
import type { Item, Library } from '../../shared/index.js';

export const wireStamp = { updatedAt: '2026-11-23T09:00:00.000Z', deskId: 'server' };

export const wireLibrary = (code: string, prefix: string): Library => ({
  code,
  name: `${code} Library`,
  barcodePrefixes: [prefix],
  barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' },
  floatingRules: { libraries: [], callNumberPrefixes: [] },
  localPickupFirst: true,
  timeZone: 'America/Chicago',
  crateCapacity: 40,
  holdShelfDays: 7,
  ...wireStamp,
});

/** MAIN's item number `serial`, on the shelf. */
export const wireItem = (serial: number): Item => ({
  barcode: `33907${String(serial).padStart(9, '0')}`,
  bibId: `bib-${serial}`,
  title: `Title ${serial}`,
  owner: 'MAIN',
  location: 'MAIN',
  floating: false,
  status: 'available',
  ...wireStamp,
});
