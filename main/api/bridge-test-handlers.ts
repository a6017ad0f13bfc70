// What the bridges serve under test: a stand-in for the desk's capabilities, which are built
// and tested in their own folders. Every method is present (the compiler checks it against
// DeskHandlers) and answers `internal` "not under test"; a test replaces the few it needs
// with `{ ...handlersNotUnderTest, checkin: { ...handlersNotUnderTest.checkin, scan } }`.
import { fail, type CheckinAnswer, type DeskHandlers } from '../../shared/api/index.js';

const notUnderTest = () => fail('internal', 'not under test');

export const handlersNotUnderTest = {
  desk: {
    status: notUnderTest,
    libraries: notUnderTest,
    loadDemo: notUnderTest,
    setUpStandalone: notUnderTest,
  },
  staff: { signIn: notUnderTest, signOut: notUnderTest },
  checkin: {
    scan: notUnderTest,
    undo: notUnderTest,
    transitSlip: notUnderTest,
    recent: notUnderTest,
  },
  crates: {
    open: notUnderTest,
    list: notUnderTest,
    get: notUnderTest,
    addItem: notUnderTest,
    removeItem: notUnderTest,
    seal: notUnderTest,
    label: notUnderTest,
    manifest: notUnderTest,
    receive: notUnderTest,
    receiveItem: notUnderTest,
    close: notUnderTest,
  },
  holds: {
    pullList: notUnderTest,
    holdShelf: notUnderTest,
    clearShelf: notUnderTest,
    slip: notUnderTest,
  },
  exports: { checkinsKoc: notUnderTest, checkinsCsv: notUnderTest },
  notes: {
    list: notUnderTest,
    get: notUnderTest,
    save: notUnderTest,
    history: notUnderTest,
    search: notUnderTest,
    attach: notUnderTest,
    attachment: notUnderTest,
  },
  sync: { status: notUnderTest, now: notUnderTest, enrol: notUnderTest },
  reports: { checkinsByDay: notUnderTest, crateTraffic: notUnderTest, waiting: notUnderTest },
  maintenance: {
    backupNow: notUnderTest,
    backups: notUnderTest,
    exportProfile: notUnderTest,
    supportBundle: notUnderTest,
    updateStatus: notUnderTest,
  },
} satisfies DeskHandlers;

/** A check-in answer as a scan handler under test gives it back. */
export function reshelveAnswer(barcode: string): CheckinAnswer {
  return {
    checkinId: '01JD0000000000000000000000',
    barcode,
    scannedAt: '2026-11-23T09:00:00.000Z',
    staff: 'AB',
    outcome: { route: 'reshelve' },
    warnings: [],
  };
}
