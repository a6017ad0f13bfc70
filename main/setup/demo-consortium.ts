// The demo consortium: four libraries, their items, holds waiting at each and training notes,
// the same every time (fixed ids and barcodes), so loading it twice adds nothing. Patron
// references and shelf names are made up in a form no real patron has ("DEMO-...").
import {
  codabarCheckDigit,
  type Hold,
  type Item,
  type Library,
  type Note,
} from '../../shared/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fixed ULID for demo document `n` of `kind` (1..31), valid under the schemas' pattern. */
function demoId(kind: number, n: number): string {
  let tail = '';
  let rest = n;
  for (let i = 0; i < 12; i++) {
    tail = CROCKFORD[rest % 32]! + tail;
    rest = Math.floor(rest / 32);
  }
  return `01KDEM${CROCKFORD[kind]!}000000${tail}`.slice(0, 26);
}

/** A 14-digit Codabar barcode: prefix, serial, check digit. */
function barcode(prefix: string, serial: number): string {
  const first13 = `${prefix}${String(serial).padStart(13 - prefix.length, '0')}`;
  return `${first13}${codabarCheckDigit(first13)}`;
}

interface DemoLibrary {
  readonly code: string;
  readonly name: string;
  readonly prefix: string;
  readonly courierStop: string;
}

const libraries: readonly DemoLibrary[] = [
  { code: 'NORTH', name: 'Northfield Public Library', prefix: '31001', courierStop: 'R1-S1' },
  { code: 'EAST', name: 'Eastbrook Library', prefix: '31002', courierStop: 'R1-S2' },
  { code: 'WEST', name: 'Westmoor Library', prefix: '31003', courierStop: 'R2-S1' },
  { code: 'RIVER', name: 'Riverside Branch Library', prefix: '31004', courierStop: 'R2-S2' },
];

const titles: readonly [string, string, string][] = [
  ['The Left Hand of Darkness', 'Le Guin, Ursula K.', 'SF LEG'],
  ['Middlemarch', 'Eliot, George', 'FIC ELI'],
  ['The Souls of Black Folk', 'Du Bois, W. E. B.', '305.896 DUB'],
  ['A Room of One’s Own', 'Woolf, Virginia', '823.912 WOO'],
  ['The Grapes of Wrath', 'Steinbeck, John', 'FIC STE'],
  ['Silent Spring', 'Carson, Rachel', '363.7384 CAR'],
  ['Their Eyes Were Watching God', 'Hurston, Zora Neale', 'FIC HUR'],
  ['The Joy of Cooking', 'Rombauer, Irma S.', '641.5 ROM'],
  ['Cosmos', 'Sagan, Carl', '520 SAG'],
  ['Beloved', 'Morrison, Toni', 'FIC MOR'],
  ['Pride and Prejudice', 'Austen, Jane', 'FIC AUS'],
  ['The Hobbit', 'Tolkien, J. R. R.', 'FIC TOL'],
  ['Frankenstein', 'Shelley, Mary', 'FIC SHE'],
  ['The Story of Art', 'Gombrich, E. H.', '709 GOM'],
  ['Dune', 'Herbert, Frank', 'SF HER'],
  ['Planet Earth (DVD)', 'BBC', 'DVD 508 PLA'],
  ['Spirited Away (DVD)', 'Miyazaki, Hayao', 'DVD J SPI'],
  ['Charlotte’s Web', 'White, E. B.', 'J FIC WHI'],
  ['Where the Wild Things Are', 'Sendak, Maurice', 'E SEN'],
  ['The Very Hungry Caterpillar', 'Carle, Eric', 'E CAR'],
];

const COPIES_PER_TITLE = 2;
const VOLUMES = 6;

export interface DemoConsortium {
  readonly libraries: Library[];
  readonly items: Item[];
  readonly holds: Hold[];
  readonly notes: Note[];
}

/** The demo data as of `now` (hold request times are a few days before it). */
export function demoConsortium(now: Date): DemoConsortium {
  const stamp = { updatedAt: now.toISOString(), deskId: 'server' };
  const libraryDocs: Library[] = libraries.map((library) => ({
    code: library.code,
    name: library.name,
    barcodePrefixes: [library.prefix],
    barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' },
    localPickupFirst: true,
    timeZone: 'America/Chicago',
    crateCapacity: 40,
    // DVDs float between the two river-side libraries.
    floatingRules:
      library.code === 'WEST' || library.code === 'RIVER'
        ? { libraries: ['WEST', 'RIVER'], callNumberPrefixes: ['DVD'] }
        : { libraries: [], callNumberPrefixes: [] },
    holdShelfDays: 7,
    courierStop: library.courierStop,
    ...stamp,
  }));

  // Each library owns VOLUMES x COPIES_PER_TITLE copies of every title.
  const items: Item[] = [];
  libraries.forEach((library, libraryIndex) => {
    let serial = 1;
    titles.forEach(([title, author, callNumber], titleIndex) => {
      for (let volume = 0; volume < VOLUMES * COPIES_PER_TITLE; volume++) {
        items.push({
          barcode: barcode(library.prefix, serial++),
          bibId: `demo-b${String(titleIndex + 1).padStart(3, '0')}`,
          title,
          author,
          callNumber,
          owner: library.code,
          location: library.code,
          floating: false,
          status: (serial + libraryIndex) % 37 === 0 ? 'checked_out' : 'available',
          ...stamp,
        });
      }
    });
  });

  // Holds waiting for a copy: picked up round the consortium, pulled at the next library.
  const holds: Hold[] = [];
  for (let n = 0; n < 48; n++) {
    const pickup = libraries[n % libraries.length]!;
    const pull = libraries[(n + 1) % libraries.length]!;
    const titleIndex = (n * 7) % titles.length;
    holds.push({
      id: demoId(1, n + 1),
      bibId: `demo-b${String(titleIndex + 1).padStart(3, '0')}`,
      patronRef: `DEMO-P${String(n + 1).padStart(4, '0')}`,
      shelfName: `DEMO-${String(1000 + n * 13)}`,
      pickupLibrary: pickup.code,
      pullLibrary: pull.code,
      status: 'pending',
      requestedAt: new Date(now.getTime() - (n + 1) * 3_600_000 * 5).toISOString(),
      ...stamp,
    });
  }

  const note = (n: number, title: string, tags: string[], body: string): Note => ({
    id: demoId(2, n),
    title,
    body,
    tags,
    scope: 'consortium',
    author: 'Consortium office',
    revisionNumber: 1,
    ...stamp,
  });
  const notes: Note[] = [
    note(
      1,
      'Scan station: what the banner means',
      ['scan station', 'basics'],
      [
        '# The scan banner',
        '',
        '- **Hold shelf**: print the slip, band the item, shelve it under the name on the slip.',
        '- **Crate to …**: drop it in the open crate for that library (the banner names it).',
        '- **Home to …**: it belongs elsewhere; it goes in the crate to its owner.',
        '- **Floats here**: it stays; shelve it here.',
        '- **Reshelve**: ours, nobody waiting.',
        '- **Set aside**: put it on the problem shelf; the banner says why.',
      ].join('\n'),
    ),
    note(
      2,
      'Sealing and labelling a crate',
      ['crates', 'courier'],
      [
        '# Sealing a crate',
        '',
        '1. Open **Crates**, pick the crate, check the count.',
        '2. **Seal**: the manifest is frozen from now on.',
        '3. Print the label and tape it to the short side; put the manifest inside.',
        '',
        'A full crate (40 items) warns you; start a second crate rather than overfilling.',
      ].join('\n'),
    ),
    note(
      3,
      'Receiving a crate',
      ['crates', 'courier'],
      [
        '# Receiving',
        '',
        'Scan the crate label, then every item. Missing, extra and duplicate items show live.',
        'Close the crate when done; discrepancies are recorded for the sending library.',
      ].join('\n'),
    ),
    note(
      4,
      'Working offline',
      ['offline', 'basics'],
      [
        '# When the network is down',
        '',
        'Keep scanning: every answer is decided and saved at the desk. The status bar shows',
        'how many changes wait to be sent; they go as soon as the link is back.',
      ].join('\n'),
    ),
    note(
      5,
      'Clearing the hold shelf',
      ['holds'],
      [
        '# Clear-shelf list',
        '',
        'Every morning print the clear-shelf list: expired and cancelled holds. Check each',
        'item in again: it is routed to its next hold or home.',
      ].join('\n'),
    ),
  ];

  return { libraries: libraryDocs, items, holds, notes };
}

export const demoLibraryCodes: readonly string[] = libraries.map((library) => library.code);
