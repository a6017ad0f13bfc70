// Receiving a crate: scan its label, then its items; what is missing, extra or scanned twice
// shows at once, each item is routed on like a check-in, and closing the crate records every
// missing and extra item as a discrepancy.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type {
  CheckinAnswer,
  CrateReceipt,
  CrateSummary,
  DeskError,
} from '../../shared/api/index.js';
import { DocumentActions } from '../components/document-actions.js';
import { ErrorText } from '../components/error-text.js';
import { useDesk } from '../desk-client/desk-context.js';
import { formatDateTime } from '../lib/format.js';
import { describeAnswer } from '../lib/outcome.js';
import { playTone } from '../lib/sounds.js';
import { useDeskQuery } from '../lib/use-desk-query.js';

function BarcodeList({
  id,
  title,
  barcodes,
  empty,
}: {
  id: string;
  title: string;
  barcodes: readonly string[];
  empty: string;
}) {
  return (
    <section aria-labelledby={id} className={`receipt-list ${id}`}>
      <h3 id={id}>
        {title}: {barcodes.length}
      </h3>
      {barcodes.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul data-testid={id}>
          {barcodes.map((barcode) => (
            <li key={barcode}>{barcode}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Receipt({
  receipt,
  onDone,
}: {
  receipt: CrateReceipt;
  onDone: (closed: CrateSummary) => void;
}) {
  const client = useDesk();
  const [current, setCurrent] = useState(receipt);
  const [barcode, setBarcode] = useState('');
  const [last, setLast] = useState<CheckinAnswer | null>(null);
  const [error, setError] = useState<DeskError | null>(null);
  const [note, setNote] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const crateId = current.crate.crateId;

  async function scan(event: FormEvent): Promise<void> {
    event.preventDefault();
    const code = barcode.trim();
    setBarcode('');
    if (!code) return;
    const answer = await client.crates.receiveItem({ crateId, barcode: code });
    if (!answer.ok) {
      setError(answer.error);
      playTone('error');
      return;
    }
    setError(null);
    setCurrent(answer.value.receipt);
    setLast(answer.value.checkin);
    playTone(describeAnswer(answer.value.checkin).tone);
  }
  async function close(event: FormEvent): Promise<void> {
    event.preventDefault();
    const answer = await client.crates.close(
      note.trim() ? { crateId, note: note.trim() } : { crateId },
    );
    if (!answer.ok) return setError(answer.error);
    onDone(answer.value);
  }
  const view = last ? describeAnswer(last) : null;
  return (
    <section aria-labelledby="receipt-heading" className="receipt">
      <h2 id="receipt-heading">
        Receiving crate {current.crate.labelBarcode} from {current.crate.origin.name}
      </h2>
      <p>
        {current.received.length} of {current.expected.length} items on the manifest scanned.
      </p>
      <form onSubmit={(event) => void scan(event)} className="inline-form">
        <label htmlFor="receive-item">Scan an item from the crate</label>
        <input
          id="receive-item"
          ref={input}
          className="scan-input"
          value={barcode}
          autoComplete="off"
          onChange={(e) => setBarcode(e.target.value)}
        />
        <button type="submit">Receive item</button>
      </form>
      <ErrorText error={error} />
      <div role="status" aria-live="polite" aria-atomic="true">
        {view && last && (
          <p className={`chip large tone-${view.tone}`} data-testid="receive-routing">
            <span aria-hidden="true">{view.icon} </span>
            {last.barcode}: {view.headline}
            {view.details.length > 0 ? ` · ${view.details.join(' · ')}` : ''}
          </p>
        )}
      </div>
      {last?.holdSlip && (
        <DocumentActions
          what="hold slip"
          of={last.barcode}
          fetch={() => client.holds.slip({ holdId: last.holdSlip?.holdId ?? '' })}
        />
      )}
      <div className="receipt-lists" aria-live="polite">
        <BarcodeList
          id="receipt-missing"
          title="Missing"
          barcodes={current.missing}
          empty="Nothing missing."
        />
        <BarcodeList
          id="receipt-extra"
          title="Extra (not on the manifest)"
          barcodes={current.extra}
          empty="No extra items."
        />
        <BarcodeList
          id="receipt-duplicates"
          title="Scanned twice"
          barcodes={current.duplicates}
          empty="No item scanned twice."
        />
      </div>
      <form onSubmit={(event) => void close(event)} className="card">
        <label htmlFor="close-note">Note for the sending library (optional)</label>
        <textarea
          id="close-note"
          value={note}
          maxLength={1000}
          onChange={(e) => setNote(e.target.value)}
        />
        <button type="submit">
          Close crate
          {current.missing.length + current.extra.length > 0 ? ' with discrepancies' : ''}
        </button>
      </form>
    </section>
  );
}

export function CrateReceiving() {
  const client = useDesk();
  const incoming = useDeskQuery(
    (c) => c.crates.list({ direction: 'incoming', status: ['sealed', 'received'] }),
    'incoming',
    ['crates'],
  );
  const [label, setLabel] = useState('');
  const [receipt, setReceipt] = useState<CrateReceipt | null>(null);
  const [closed, setClosed] = useState<CrateSummary | null>(null);
  const [error, setError] = useState<DeskError | null>(null);

  async function receive(labelBarcode: string): Promise<void> {
    const answer = await client.crates.receive({ labelBarcode });
    if (!answer.ok) return setError(answer.error);
    setError(null);
    setClosed(null);
    setReceipt(answer.value);
  }
  if (receipt) {
    return (
      <Receipt
        key={receipt.crate.crateId}
        receipt={receipt}
        onDone={(crate) => {
          setReceipt(null);
          setClosed(crate);
        }}
      />
    );
  }
  const list = incoming.data ?? [];
  return (
    <section aria-labelledby="receive-heading">
      <h2 id="receive-heading">Receive a crate</h2>
      {closed && (
        <p role="status" className="notice">
          Crate {closed.labelBarcode} closed
          {closed.closedAt ? ` at ${formatDateTime(closed.closedAt)}` : ''}.
        </p>
      )}
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void receive(label.trim());
        }}
      >
        <label htmlFor="crate-label">Scan the crate label</label>
        <input
          id="crate-label"
          value={label}
          autoComplete="off"
          onChange={(e) => setLabel(e.target.value)}
        />
        <button type="submit">Receive crate</button>
      </form>
      <ErrorText error={error ?? incoming.error} />
      <h3>On the way here or being unpacked</h3>
      {list.length === 0 ? (
        <p>No crates on the way here.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Crate</th>
              <th scope="col">From</th>
              <th scope="col">Items</th>
              <th scope="col">Sealed</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((crate) => (
              <tr key={crate.crateId}>
                <td>{crate.labelBarcode}</td>
                <td>{crate.origin.name}</td>
                <td>{crate.count}</td>
                <td>{crate.sealedAt ? formatDateTime(crate.sealedAt) : '—'}</td>
                <td>{crate.status === 'sealed' ? 'In transit' : 'Being unpacked'}</td>
                <td>
                  <button
                    type="button"
                    className="small"
                    aria-label={`Receive crate ${crate.labelBarcode}`}
                    onClick={() => void receive(crate.labelBarcode)}
                  >
                    Receive
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
