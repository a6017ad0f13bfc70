// A hold this desk captured an item for was filled first elsewhere (sync found the earlier
// capture): staff must take the item off the shelf or out of the crate and send it where the
// new routing says. Shown until acknowledged.
import { useDeskState } from '../desk-client/desk-context.js';
import { describeAnswer } from '../lib/outcome.js';

export function CaptureLostAlerts() {
  const lost = useDeskState((state) => state.captureLost);
  const acknowledge = useDeskState((state) => state.acknowledgeCaptureLost);
  if (lost.length === 0) return null;
  return (
    <section className="capture-lost" aria-label="Holds filled elsewhere" role="alert">
      {lost.map((entry) => {
        // Without a new routing (the item record is not here), staff route it by hand.
        const view = entry.checkin ? describeAnswer(entry.checkin) : null;
        return (
          <div key={entry.holdId} className={`capture-lost-entry tone-${view?.tone ?? 'alert'}`}>
            <p>
              <strong>
                <span aria-hidden="true">⚠ </span>Hold filled elsewhere first:
              </strong>{' '}
              {entry.barcode}
              {entry.title ? ` (${entry.title})` : ''} no longer goes to this hold.
            </p>
            <p className="capture-lost-route">
              {view ? (
                <>
                  <span aria-hidden="true">{view.icon} </span>
                  Now: {view.headline}
                  {view.details.length > 0 ? `: ${view.details.join(' ')}` : ''}
                </>
              ) : (
                'Check it in again to see where it goes now.'
              )}
            </p>
            <button type="button" onClick={() => acknowledge(entry.holdId)}>
              Done: item moved
            </button>
          </div>
        );
      })}
    </section>
  );
}
