// Holds: the pull list (what to fetch from the shelves here), the hold shelf (with expiry and
// slips) and the clear-shelf list (expired and cancelled holds to take off the shelf).
import { useState } from 'react';
import type { HoldShelfEntry } from '../../shared/api/index.js';
import { DocumentActions } from '../components/document-actions.js';
import { ErrorText } from '../components/error-text.js';
import { useDesk, useDeskState } from '../desk-client/desk-context.js';
import { formatDateTime } from '../lib/format.js';
import { useDeskQuery } from '../lib/use-desk-query.js';
import { TabBar } from './crates-screen.js';

const tabs = [
  { id: 'pull', label: 'Pull list' },
  { id: 'shelf', label: 'Hold shelf' },
  { id: 'clear', label: 'Clear shelf' },
] as const;
type Tab = (typeof tabs)[number]['id'];

function PullList() {
  const libraries = useDeskState((state) => state.libraries);
  const [pickup, setPickup] = useState('');
  const list = useDeskQuery(
    (c) => c.holds.pullList(pickup ? { pickupLibrary: pickup } : {}),
    pickup,
    ['holds', 'items'],
  );
  const entries = list.data ?? [];
  return (
    <section aria-labelledby="pull-heading">
      <h2 id="pull-heading">Pull list</h2>
      <div className="inline-form">
        <label htmlFor="pull-pickup">Pickup library</label>
        <select id="pull-pickup" value={pickup} onChange={(e) => setPickup(e.target.value)}>
          <option value="">All libraries</option>
          {libraries.map((library) => (
            <option key={library.code} value={library.code}>
              {library.name} ({library.code})
            </option>
          ))}
        </select>
      </div>
      <ErrorText error={list.error} />
      {entries.length === 0 ? (
        <p>Nothing to pull.</p>
      ) : (
        <table data-testid="pull-list">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Author</th>
              <th scope="col">Call number</th>
              <th scope="col">Barcode</th>
              <th scope="col">Hold type</th>
              <th scope="col">Pickup</th>
              <th scope="col">Requested</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.holdId}>
                <td>{entry.title ?? entry.bibId}</td>
                <td>{entry.author ?? '—'}</td>
                <td>{entry.callNumber ?? '—'}</td>
                <td>{entry.itemBarcode ?? 'any copy'}</td>
                <td>{entry.holdType === 'item' ? 'This copy' : 'Any copy'}</td>
                <td>{entry.pickupLibrary}</td>
                <td>{formatDateTime(entry.requestedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ShelfTable({
  entries,
  testId,
  showReason,
}: {
  entries: readonly HoldShelfEntry[];
  testId: string;
  showReason?: boolean;
}) {
  const client = useDesk();
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">Shelf name</th>
          <th scope="col">Barcode</th>
          <th scope="col">Title</th>
          <th scope="col">Call number</th>
          <th scope="col">Status</th>
          <th scope="col">On the shelf until</th>
          {showReason && <th scope="col">Why</th>}
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.holdId}>
            <td>{entry.shelfName}</td>
            <td>{entry.itemBarcode ?? '—'}</td>
            <td>{entry.title ?? '—'}</td>
            <td>{entry.callNumber ?? '—'}</td>
            <td>{entry.status.replace('_', ' ')}</td>
            <td>{entry.expiresOn ?? '—'}</td>
            {showReason && <td>{entry.clearReason ?? '—'}</td>}
            <td>
              <DocumentActions
                what="slip"
                of={entry.itemBarcode ?? entry.shelfName}
                fetch={() => client.holds.slip({ holdId: entry.holdId })}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function HoldShelf() {
  const list = useDeskQuery((c) => c.holds.holdShelf({}), 'shelf', ['holds']);
  const entries = list.data ?? [];
  return (
    <section aria-labelledby="shelf-heading">
      <h2 id="shelf-heading">Hold shelf</h2>
      <ErrorText error={list.error} />
      {entries.length === 0 ? (
        <p>The hold shelf is empty.</p>
      ) : (
        <ShelfTable entries={entries} testId="hold-shelf" />
      )}
    </section>
  );
}

function ClearShelf() {
  const list = useDeskQuery((c) => c.holds.clearShelf({}), 'clear', ['holds']);
  const entries = list.data ?? [];
  return (
    <section aria-labelledby="clear-heading">
      <h2 id="clear-heading">Clear-shelf list</h2>
      <p>Expired and cancelled holds: take these items off the hold shelf and check them in.</p>
      <ErrorText error={list.error} />
      {entries.length === 0 ? (
        <p>Nothing to clear.</p>
      ) : (
        <ShelfTable entries={entries} testId="clear-shelf" showReason />
      )}
    </section>
  );
}

export function HoldsScreen() {
  const [tab, setTab] = useState<Tab>('pull');
  return (
    <div className="holds">
      <h1>Holds</h1>
      <TabBar tabs={tabs} current={tab} onChange={setTab} label="Hold lists" />
      {tab === 'pull' && <PullList />}
      {tab === 'shelf' && <HoldShelf />}
      {tab === 'clear' && <ClearShelf />}
    </div>
  );
}
