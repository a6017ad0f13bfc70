// The scan station: one input that keeps focus, so a keyboard-wedge scanner (keys then Enter)
// and a typed barcode both land in it; the banner; the recent scans with undo of the latest.
import { useEffect, useRef, useState, type FormEvent, type RefObject } from 'react';
import { useDeskState } from '../desk-client/desk-context.js';
import { CaptureLostAlerts } from '../components/capture-lost-alerts.js';
import { ScanBanner } from '../components/scan-banner.js';
import { formatTime } from '../lib/format.js';
import { describeAnswer } from '../lib/outcome.js';

/** Elements that take typing or a key of their own: a scan must not steal focus from them. */
function ownsKeys(element: Element | null): boolean {
  return (
    element instanceof HTMLInputElement ||
    element instanceof HTMLTextAreaElement ||
    element instanceof HTMLSelectElement ||
    (element instanceof HTMLElement && element.isContentEditable)
  );
}

/**
 * The scan input, on its own: its text changes at every key of a scanner's burst, and only it
 * re-renders then (not the banner, not the list of recent scans).
 */
function ScanForm(props: { input: RefObject<HTMLInputElement | null> }) {
  const scan = useDeskState((state) => state.scan);
  const [value, setValue] = useState('');
  const { input } = props;

  // A scanner fires while focus is on a button (after Undo, Print slip): its first key
  // brings focus back to the scan input and goes into it, so the burst is never lost.
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent): void {
      const field = input.current;
      if (!field || document.activeElement === field || ownsKeys(document.activeElement)) return;
      if (event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) return;
      if (!/^[0-9A-Za-z]$/.test(event.key)) return;
      event.preventDefault();
      field.focus();
      setValue((current) => current + event.key);
    }
    // Clicking on nothing in particular (the banner, the page) returns to the scan input.
    function onFocusOut(): void {
      setTimeout(() => {
        if (document.activeElement === document.body) input.current?.focus();
      }, 0);
    }
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('focusout', onFocusOut);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('focusout', onFocusOut);
    };
  }, [input]);

  function submit(event: FormEvent): void {
    event.preventDefault();
    const barcode = value.trim();
    setValue('');
    if (barcode) void scan(barcode);
  }

  return (
    <form onSubmit={submit} className="scan-form">
      <label htmlFor="scan-input">Scan or type a barcode, then Enter</label>
      <input
        id="scan-input"
        ref={input}
        className="scan-input"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        autoComplete="off"
        spellCheck={false}
        inputMode="numeric"
        aria-describedby="scan-help"
      />
      <p id="scan-help" className="help">
        The answer shows below and is read out. Tab to Undo to take back the last scan.
      </p>
    </form>
  );
}

/** The last scans, newest first, with Undo on the latest; re-renders when they change only. */
function RecentScans(props: { input: RefObject<HTMLInputElement | null> }) {
  const undo = useDeskState((state) => state.undo);
  const recent = useDeskState((state) => state.recent);
  const libraries = useDeskState((state) => state.libraries);
  const latest = recent[0];
  return (
    <section aria-labelledby="recent-heading">
      <h2 id="recent-heading">Last scans</h2>
      {recent.length === 0 ? (
        <p>No scans yet.</p>
      ) : (
        <table className="recent">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Barcode</th>
              <th scope="col">Title</th>
              <th scope="col">Where it went</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {recent.map((entry) => {
              const view = describeAnswer(entry, libraries);
              const undoable = entry === latest && !entry.voided;
              return (
                <tr key={entry.checkinId} className={entry.voided ? 'voided' : undefined}>
                  <td>{formatTime(entry.scannedAt)}</td>
                  <td>{entry.barcode}</td>
                  <td>{entry.title ?? '—'}</td>
                  <td>
                    <span className={`chip tone-${view.tone}`}>
                      <span aria-hidden="true">{view.icon} </span>
                      {view.headline}
                    </span>
                  </td>
                  <td>
                    {undoable && (
                      <button
                        type="button"
                        className="small"
                        aria-label={`Undo check-in of ${entry.barcode}`}
                        onClick={() => {
                          void undo(entry.checkinId).then(() => props.input.current?.focus());
                        }}
                      >
                        Undo
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ScanStation() {
  const refreshRecent = useDeskState((state) => state.refreshRecent);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
    void refreshRecent();
  }, [refreshRecent]);

  return (
    <div className="scan-station">
      <h1>Check in</h1>
      <ScanForm input={input} />
      <CaptureLostAlerts />
      <ScanBanner />
      <RecentScans input={input} />
    </div>
  );
}
