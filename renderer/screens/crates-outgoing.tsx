// Outgoing crates by destination: open one, see its count against capacity and its items,
// pack or take out an item, seal it, print its label and manifest. And the crate history.
import { useState, type FormEvent } from 'react';
import type { CrateSummary, DeskError } from '../../shared/api/index.js';
import { DocumentActions } from '../components/document-actions.js';
import { ErrorText } from '../components/error-text.js';
import { useDesk, useDeskState } from '../desk-client/desk-context.js';
import { formatDateTime } from '../lib/format.js';
import { useDeskQuery } from '../lib/use-desk-query.js';

function Fill({ crate }: { crate: CrateSummary }) {
  const over = crate.count > crate.capacity;
  return (
    <span className={over ? 'fill over' : 'fill'}>
      <meter
        min={0}
        max={crate.capacity}
        value={Math.min(crate.count, crate.capacity)}
        aria-hidden="true"
      />{' '}
      {crate.count} / {crate.capacity}
      {over ? ' (over capacity)' : ''}
    </span>
  );
}

function OpenCrateForm() {
  const client = useDesk();
  const libraries = useDeskState((state) => state.libraries);
  const here = useDeskState((state) => state.status?.library?.code);
  const [destination, setDestination] = useState('');
  const [error, setError] = useState<DeskError | null>(null);
  const others = libraries.filter((library) => library.code !== here);
  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!destination) return;
    const answer = await client.crates.open({ destination });
    setError(answer.ok ? null : answer.error);
  }
  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)}>
      <label htmlFor="crate-destination">New crate to</label>
      <select
        id="crate-destination"
        value={destination}
        onChange={(e) => setDestination(e.target.value)}
        required
      >
        <option value="">Choose a library</option>
        {others.map((library) => (
          <option key={library.code} value={library.code}>
            {library.name} ({library.code})
          </option>
        ))}
      </select>
      <button type="submit">Open crate</button>
      <ErrorText error={error} />
    </form>
  );
}

function CrateItems({ crate }: { crate: CrateSummary }) {
  const client = useDesk();
  const view = useDeskQuery(
    (c) => c.crates.get({ crateId: crate.crateId }),
    `${crate.crateId}:${crate.count}`,
    ['crates', 'crateScans'],
  );
  const [barcode, setBarcode] = useState('');
  const [error, setError] = useState<DeskError | null>(null);
  async function change(kind: 'add' | 'remove', code: string): Promise<void> {
    const args = { crateId: crate.crateId, barcode: code };
    const answer =
      kind === 'add' ? await client.crates.addItem(args) : await client.crates.removeItem(args);
    setError(answer.ok ? null : answer.error);
    if (answer.ok) setBarcode('');
    view.reload();
  }
  const items = view.data?.items ?? [];
  return (
    <div className="crate-items">
      {crate.status === 'open' && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void change('add', barcode.trim());
          }}
        >
          <label htmlFor={`pack-${crate.crateId}`}>Pack an item</label>
          <input
            id={`pack-${crate.crateId}`}
            value={barcode}
            autoComplete="off"
            onChange={(e) => setBarcode(e.target.value)}
          />
          <button type="submit">Pack</button>
        </form>
      )}
      <ErrorText error={error ?? view.error} />
      {items.length === 0 ? (
        <p>No items in this crate.</p>
      ) : (
        <ul className="item-list">
          {items.map((item) => (
            <li key={item.barcode}>
              {item.barcode} {item.title ? `· ${item.title}` : ''}{' '}
              {item.forHoldAt ? `· hold at ${item.forHoldAt}` : ''}
              {crate.status === 'open' && (
                <button
                  type="button"
                  className="small"
                  aria-label={`Take ${item.barcode} out`}
                  onClick={() => void change('remove', item.barcode)}
                >
                  Take out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CrateCard({ crate }: { crate: CrateSummary }) {
  const client = useDesk();
  const [showItems, setShowItems] = useState(false);
  const [error, setError] = useState<DeskError | null>(null);
  async function seal(): Promise<void> {
    const answer = await client.crates.seal({ crateId: crate.crateId });
    setError(answer.ok ? null : answer.error);
  }
  const name = `crate ${crate.labelBarcode}`;
  return (
    <li
      className={`crate-card status-${crate.status}`}
      data-testid="crate-card"
      data-crate={crate.labelBarcode}
    >
      <h3>
        To {crate.destination.name} ({crate.destination.code})
      </h3>
      <p>
        Crate {crate.labelBarcode} ·{' '}
        <strong>{crate.status === 'open' ? 'Packing' : 'Sealed'}</strong> · <Fill crate={crate} />
      </p>
      <p className="muted">
        Opened {formatDateTime(crate.openedAt)}
        {crate.sealedAt ? ` · sealed ${formatDateTime(crate.sealedAt)}` : ''}
      </p>
      <div className="actions">
        <button
          type="button"
          className="small"
          aria-expanded={showItems}
          onClick={() => setShowItems(!showItems)}
          aria-label={`${showItems ? 'Hide' : 'Show'} items of ${name}`}
        >
          {showItems ? 'Hide items' : 'Show items'}
        </button>
        {crate.status === 'open' ? (
          <button
            type="button"
            className="small"
            onClick={() => void seal()}
            aria-label={`Seal ${name}`}
          >
            Seal
          </button>
        ) : (
          <>
            <DocumentActions
              what="label"
              of={name}
              fetch={() => client.crates.label({ crateId: crate.crateId })}
            />
            <DocumentActions
              what="manifest"
              of={name}
              fetch={() => client.crates.manifest({ crateId: crate.crateId, format: 'pdf' })}
            />
          </>
        )}
      </div>
      <ErrorText error={error} />
      {showItems && <CrateItems crate={crate} />}
    </li>
  );
}

export function OutgoingCrates() {
  const crates = useDeskQuery(
    (c) => c.crates.list({ direction: 'outgoing', status: ['open', 'sealed'] }),
    'outgoing',
    ['crates', 'crateScans'],
  );
  const list = crates.data ?? [];
  return (
    <section aria-labelledby="outgoing-heading">
      <h2 id="outgoing-heading">Outgoing crates</h2>
      <OpenCrateForm />
      <ErrorText error={crates.error} />
      {list.length === 0 ? (
        <p>No crates packing or waiting for the courier.</p>
      ) : (
        <ul className="crate-list">
          {list.map((crate) => (
            <CrateCard key={crate.crateId} crate={crate} />
          ))}
        </ul>
      )}
    </section>
  );
}

function HistoryTable({
  title,
  crates,
  other,
}: {
  title: string;
  crates: readonly CrateSummary[];
  other: 'origin' | 'destination';
}) {
  const id = `history-${other}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {crates.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Crate</th>
              <th scope="col">{other === 'destination' ? 'To' : 'From'}</th>
              <th scope="col">Status</th>
              <th scope="col">Items</th>
              <th scope="col">Sealed</th>
              <th scope="col">Received</th>
              <th scope="col">Closed</th>
            </tr>
          </thead>
          <tbody>
            {crates.map((crate) => (
              <tr key={crate.crateId}>
                <td>{crate.labelBarcode}</td>
                <td>{crate[other].name}</td>
                <td>{crate.status}</td>
                <td>{crate.count}</td>
                <td>{crate.sealedAt ? formatDateTime(crate.sealedAt) : '—'}</td>
                <td>{crate.receivedAt ? formatDateTime(crate.receivedAt) : '—'}</td>
                <td>{crate.closedAt ? formatDateTime(crate.closedAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function CrateHistory() {
  const sent = useDeskQuery(
    (c) => c.crates.list({ direction: 'outgoing', status: ['received', 'closed'] }),
    'sent',
    ['crates'],
  );
  const received = useDeskQuery(
    (c) => c.crates.list({ direction: 'incoming', status: ['received', 'closed'] }),
    'received',
    ['crates'],
  );
  return (
    <>
      <HistoryTable title="Sent" crates={sent.data ?? []} other="destination" />
      <HistoryTable title="Received here" crates={received.data ?? []} other="origin" />
    </>
  );
}
