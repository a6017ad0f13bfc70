// The page's shell: a skip link, the screens' navigation, the screen, and the status bar that
// is always there. A desk with no library shows first-run setup; no staff, the sign-in.
import { useEffect } from 'react';
import { StatusBar } from './components/status-bar.js';
import { useDeskState } from './desk-client/desk-context.js';
import { CratesScreen } from './screens/crates-screen.js';
import { DeskCareScreen } from './screens/desk-care-screen.js';
import { FirstRun } from './screens/first-run.js';
import { HoldsScreen } from './screens/holds-screen.js';
import { NotesScreen } from './screens/notes-screen.js';
import { ReportsScreen } from './screens/reports-screen.js';
import { ScanStation } from './screens/scan-station.js';
import { SignIn } from './screens/sign-in.js';
import { screens, type Screen } from './state/session-slice.js';

const screenNames: Record<Screen, string> = {
  scan: 'Check in',
  crates: 'Crates',
  holds: 'Holds',
  notes: 'Training notes',
  reports: 'Reports',
  desk: 'This desk',
};

function Navigation() {
  const current = useDeskState((state) => state.screen);
  const go = useDeskState((state) => state.go);
  // Alt+1..6 switch screens from anywhere, scan input included.
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent): void {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const screen = screens[Number(event.key) - 1];
      if (screen) {
        event.preventDefault();
        go(screen);
      }
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [go]);
  return (
    <nav aria-label="Screens">
      <ul className="nav-list">
        {screens.map((screen, index) => (
          <li key={screen}>
            <button
              type="button"
              className="nav-button"
              aria-current={screen === current ? 'page' : undefined}
              aria-keyshortcuts={`Alt+${index + 1}`}
              onClick={() => go(screen)}
            >
              {screenNames[screen]}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function CurrentScreen() {
  const screen = useDeskState((state) => state.screen);
  switch (screen) {
    case 'scan':
      return <ScanStation />;
    case 'crates':
      return <CratesScreen />;
    case 'holds':
      return <HoldsScreen />;
    case 'notes':
      return <NotesScreen />;
    case 'reports':
      return <ReportsScreen />;
    case 'desk':
      return <DeskCareScreen />;
  }
}

export function App() {
  const status = useDeskState((state) => state.status);
  const statusError = useDeskState((state) => state.statusError);
  const screen = useDeskState((state) => state.screen);
  const ready = status !== null;
  const setUp = Boolean(status?.library);
  const signedIn = Boolean(status?.staff);

  useEffect(() => {
    document.title = `${setUp && signedIn ? screenNames[screen] : 'Welcome'} · Carrel`;
  }, [screen, setUp, signedIn]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <p className="app-name">Carrel</p>
        {setUp && signedIn && <Navigation />}
      </header>
      <main id="main" tabIndex={-1}>
        {!ready ? (
          statusError ? (
            <p role="alert">The desk cannot be read: {statusError.message}</p>
          ) : (
            <p>Connecting to the desk…</p>
          )
        ) : !setUp ? (
          <FirstRun />
        ) : !signedIn ? (
          <SignIn />
        ) : (
          <CurrentScreen />
        )}
      </main>
      <StatusBar />
    </div>
  );
}
