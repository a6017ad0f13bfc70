// Always on screen: is the desk in touch with the consortium, how much waits to go up, how old
// its data may be, whether its clock is wrong, which library and who is signed in.
import { useEffect, useState } from 'react';
import type { SyncStatus } from '../../shared/api/index.js';
import { useDeskState } from '../desk-client/desk-context.js';
import { clockWarning } from '../lib/clock.js';
import { formatAge, formatTime } from '../lib/format.js';

const stateWords: Record<SyncStatus['state'], { icon: string; words: string }> = {
  online: { icon: '●', words: 'Online' },
  syncing: { icon: '↻', words: 'Syncing' },
  offline: { icon: '○', words: 'Offline' },
  error: { icon: '⚠', words: 'Sync error' },
  disabled: { icon: '–', words: 'Not syncing (standalone)' },
};

export function StatusBar() {
  const sync = useDeskState((state) => state.sync);
  const status = useDeskState((state) => state.status);
  const syncNow = useDeskState((state) => state.syncNow);
  const signOut = useDeskState((state) => state.signOut);
  // Data age grows between pushes from main: tick locally so the figure is not frozen.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), 15_000);
    return () => clearInterval(timer);
  }, []);

  const words = sync ? stateWords[sync.state] : { icon: '…', words: 'Reading sync status' };
  const clock = clockWarning(sync?.clockOffsetMs ?? null);
  return (
    <footer className="status-bar" aria-label="Desk status">
      <span className={`sync sync-${sync?.state ?? 'unknown'}`} data-testid="sync-state">
        <span aria-hidden="true">{words.icon} </span>
        {words.words}
        {sync?.error ? `: ${sync.error.message}` : ''}
      </span>
      {sync && sync.state !== 'disabled' && (
        <>
          <span data-testid="sync-pending">Pending: {sync.pending}</span>
          <span>Last sync: {sync.lastSuccessAt ? formatTime(sync.lastSuccessAt) : 'never'}</span>
          <span>
            Data age: {sync.dataAgeSeconds === null ? 'unknown' : formatAge(sync.dataAgeSeconds)}
          </span>
          <button type="button" className="small" onClick={() => void syncNow()}>
            Sync now
          </button>
        </>
      )}
      {clock && (
        <strong className="clock-warning" role="alert">
          <span aria-hidden="true">⚠ </span>
          {clock}
        </strong>
      )}
      <span className="spacer" />
      <span data-testid="desk-library">
        {status?.library ? `${status.library.name} (${status.library.code})` : 'No library yet'}
      </span>
      {status?.staff && (
        <>
          <span data-testid="desk-staff">Staff: {status.staff.initials}</span>
          <button type="button" className="small" onClick={() => void signOut()}>
            Sign out
          </button>
        </>
      )}
    </footer>
  );
}
