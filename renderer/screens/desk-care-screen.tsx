// Looking after the desk itself: its daily backups (and one now), moving it to another PC
// (profile export), a support bundle for the consortium's help desk, and where its updates
// stand. Every file comes from the desk as a download; nothing here touches patron data
// (the support bundle is scrubbed at the desk).
import { useState } from 'react';
import type { DeskError } from '../../shared/api/index.js';
import { ErrorText } from '../components/error-text.js';
import { useDesk } from '../desk-client/desk-context.js';
import { saveDocument } from '../lib/documents.js';
import { formatTime } from '../lib/format.js';
import { useDeskQuery } from '../lib/use-desk-query.js';

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

export function DeskCareScreen() {
  const client = useDesk();
  const backups = useDeskQuery((desk) => desk.maintenance.backups({}), 'backups', []);
  const updates = useDeskQuery((desk) => desk.maintenance.updateStatus({}), 'updates', []);
  const [includeSecrets, setIncludeSecrets] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<DeskError | null>(null);

  async function run(what: string, action: () => Promise<string | null>): Promise<void> {
    setBusy(what);
    setDone(null);
    setError(null);
    try {
      setDone(await action());
    } finally {
      setBusy(null);
    }
  }

  const backUpNow = () =>
    run('backup', async () => {
      const answer = await client.maintenance.backupNow({});
      if (!answer.ok) {
        setError(answer.error);
        return null;
      }
      backups.reload();
      return `Backup ${answer.value.fileName} taken (${megabytes(answer.value.bytes)}).`;
    });
  const exportProfile = () =>
    run('profile', async () => {
      const answer = await client.maintenance.exportProfile({ includeSecrets });
      if (!answer.ok) {
        setError(answer.error);
        return null;
      }
      saveDocument(answer.value);
      return `Saved ${answer.value.fileName}.`;
    });
  const supportBundle = () =>
    run('support', async () => {
      const answer = await client.maintenance.supportBundle({});
      if (!answer.ok) {
        setError(answer.error);
        return null;
      }
      saveDocument(answer.value);
      return `Saved ${answer.value.fileName}: send it to your consortium's help desk.`;
    });

  return (
    <section aria-labelledby="desk-care-title" className="screen">
      <h1 id="desk-care-title">This desk</h1>
      <p role="status" aria-live="polite">
        {busy ? 'Working…' : (done ?? '')}
      </p>
      <ErrorText error={error} />

      <h2>Backups</h2>
      <p>
        The desk copies its database every day and keeps the copies for two weeks. Scanning goes on
        while a copy is taken.
      </p>
      <button type="button" onClick={() => void backUpNow()} disabled={busy !== null}>
        Back up now
      </button>
      <ErrorText error={backups.error} />
      {backups.data && backups.data.length > 0 ? (
        <table className="figures">
          <caption>Backups on this computer, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Taken</th>
              <th scope="col">Size</th>
              <th scope="col">File</th>
            </tr>
          </thead>
          <tbody>
            {backups.data.map((backup) => (
              <tr key={backup.fileName}>
                <td>
                  {backup.takenAt.slice(0, 10)} {formatTime(backup.takenAt)}
                </td>
                <td>{megabytes(backup.bytes)}</td>
                <td>{backup.fileName}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No backup yet.</p>
      )}

      <h2>Move this desk to another computer</h2>
      <p>Saves the desk&apos;s data and settings as one file to restore on the new computer.</p>
      <label>
        <input
          type="checkbox"
          checked={includeSecrets}
          onChange={(event) => setIncludeSecrets(event.target.checked)}
        />{' '}
        Include the desk&apos;s consortium sign-in and staff PINs (keep that file safe; without
        them, the new computer joins again with a new code and staff set new PINs)
      </label>
      <p>
        <button type="button" onClick={() => void exportProfile()} disabled={busy !== null}>
          Save desk profile
        </button>
      </p>

      <h2>Support</h2>
      <p>One file with the desk&apos;s logs and settings, without anything about patrons.</p>
      <button type="button" onClick={() => void supportBundle()} disabled={busy !== null}>
        Save support bundle
      </button>

      <h2>Updates</h2>
      <ErrorText error={updates.error} />
      {updates.data ? (
        <p>
          Version {updates.data.currentVersion}.{' '}
          {updates.data.state === 'unavailable'
            ? 'Updates come from the consortium server once this desk has joined one.'
            : updates.data.availableVersion
              ? `Version ${updates.data.availableVersion}: ${updates.data.decision?.reason ?? updates.data.state}.`
              : 'Up to date.'}
        </p>
      ) : null}
    </section>
  );
}
