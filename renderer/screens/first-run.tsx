// A desk without a library: join a consortium with the server's address and an enrolment
// code, set up one library on its own, or load the demo consortium to try Carrel out.
import { useState, type FormEvent } from 'react';
import type { DeskError, DeskResult, DeskStatus } from '../../shared/api/index.js';
import { ErrorText } from '../components/error-text.js';
import { useDesk, useDeskState } from '../desk-client/desk-context.js';

function useSubmit() {
  const setStatus = useDeskState((state) => state.setStatus);
  const [error, setError] = useState<DeskError | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(call: () => Promise<DeskResult<DeskStatus>>): Promise<void> {
    setBusy(true);
    const answer = await call();
    setBusy(false);
    if (!answer.ok) return setError(answer.error);
    setError(null);
    setStatus(answer.value);
  }
  return { error, busy, run };
}

function JoinForm() {
  const client = useDesk();
  const { error, busy, run } = useSubmit();
  const [serverUrl, setServerUrl] = useState('https://');
  const [code, setCode] = useState('');
  const [deskName, setDeskName] = useState('Circulation desk');
  const [joined, setJoined] = useState<string | null>(null);
  function submit(event: FormEvent): void {
    event.preventDefault();
    void run(async () => {
      const enrolled = await client.sync.enrol({
        serverUrl: serverUrl.trim(),
        code: code.trim(),
        deskName,
      });
      if (!enrolled.ok) return enrolled;
      // The library's record arrives with the first sync; the page moves on when it does.
      setJoined(enrolled.value.libraryCode);
      return client.desk.status({});
    });
  }
  return (
    <form onSubmit={submit} aria-labelledby="join-heading" className="card">
      <h2 id="join-heading">Join a consortium</h2>
      <p>Your consortium gives you its server address and a one-time enrolment code.</p>
      <label htmlFor="join-url">Server address</label>
      <input
        id="join-url"
        type="url"
        required
        value={serverUrl}
        onChange={(e) => setServerUrl(e.target.value)}
      />
      <label htmlFor="join-code">Enrolment code</label>
      <input
        id="join-code"
        required
        value={code}
        autoComplete="off"
        onChange={(e) => setCode(e.target.value)}
      />
      <label htmlFor="join-desk">Name of this desk</label>
      <input
        id="join-desk"
        required
        value={deskName}
        onChange={(e) => setDeskName(e.target.value)}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Joining…' : 'Join'}
      </button>
      {joined && (
        <p role="status">Joined as a desk of {joined}: receiving the consortium&apos;s data…</p>
      )}
      <ErrorText error={error} />
    </form>
  );
}

function StandaloneForm() {
  const client = useDesk();
  const { error, busy, run } = useSubmit();
  const [libraryCode, setLibraryCode] = useState('');
  const [libraryName, setLibraryName] = useState('');
  function submit(event: FormEvent): void {
    event.preventDefault();
    void run(() =>
      client.desk.setUpStandalone({
        libraryCode: libraryCode.trim(),
        libraryName: libraryName.trim(),
      }),
    );
  }
  return (
    <form onSubmit={submit} aria-labelledby="standalone-heading" className="card">
      <h2 id="standalone-heading">Work standalone</h2>
      <p>One library on its own, no consortium server. Items are routed by barcode prefix.</p>
      <label htmlFor="standalone-code">Library code</label>
      <input
        id="standalone-code"
        required
        pattern="[A-Za-z0-9_.\-]+"
        maxLength={20}
        value={libraryCode}
        onChange={(e) => setLibraryCode(e.target.value)}
      />
      <label htmlFor="standalone-name">Library name</label>
      <input
        id="standalone-name"
        required
        value={libraryName}
        onChange={(e) => setLibraryName(e.target.value)}
      />
      <button type="submit" disabled={busy}>
        Set up
      </button>
      <ErrorText error={error} />
    </form>
  );
}

function DemoForm() {
  const client = useDesk();
  const { error, busy, run } = useSubmit();
  return (
    <section aria-labelledby="demo-heading" className="card">
      <h2 id="demo-heading">Try the demo</h2>
      <p>
        A sample consortium with libraries, items, holds and training notes. Nothing leaves this
        computer.
      </p>
      <button
        type="button"
        disabled={busy}
        onClick={() => void run(() => client.desk.loadDemo({}))}
      >
        Load the demo consortium
      </button>
      <ErrorText error={error} />
    </section>
  );
}

export function FirstRun() {
  return (
    <div className="first-run">
      <h1>Set up this desk</h1>
      <div className="cards">
        <JoinForm />
        <StandaloneForm />
        <DemoForm />
      </div>
    </div>
  );
}
