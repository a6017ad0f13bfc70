// The answer to the last scan, large enough to read from two metres: colour, icon, headline
// and details together (colour is never the only signal), announced by screen readers, with
// a sound per outcome.
import { useEffect } from 'react';
import { useDesk, useDeskState } from '../desk-client/desk-context.js';
import { describeAnswer, describeError, type OutcomeView } from '../lib/outcome.js';
import { playTone } from '../lib/sounds.js';
import { DocumentActions } from './document-actions.js';

export function ScanBanner() {
  const banner = useDeskState((state) => state.banner);
  const inFlight = useDeskState((state) => state.inFlight);
  const client = useDesk();
  const view: OutcomeView | null = banner
    ? banner.kind === 'error'
      ? describeError(banner.barcode, banner.error)
      : describeAnswer(banner.answer)
    : null;

  const seq = banner?.seq;
  const tone = view?.tone;
  useEffect(() => {
    if (seq !== undefined && tone) playTone(tone);
  }, [seq, tone]);

  const slip = banner?.kind === 'answer' ? banner.answer.holdSlip : undefined;
  return (
    <section aria-label="Last scan" className="banner-region">
      <div
        className={`scan-banner tone-${view?.tone ?? 'idle'}`}
        data-testid="scan-banner"
        data-tone={view?.tone ?? 'idle'}
        role="status"
        aria-live="assertive"
        aria-atomic="true"
      >
        {view ? (
          <>
            <p className="banner-headline">
              <span className="banner-icon" aria-hidden="true">
                {view.icon}
              </span>{' '}
              {view.headline}
            </p>
            {banner?.kind !== 'error' && <p className="banner-barcode">{banner?.answer.barcode}</p>}
            {view.details.map((line) => (
              <p key={line} className="banner-detail">
                {line}
              </p>
            ))}
            {view.action && <p className="banner-action">{view.action}</p>}
          </>
        ) : (
          <p className="banner-headline">{inFlight > 0 ? 'Checking in…' : 'Ready: scan an item'}</p>
        )}
      </div>
      {slip && (
        <DocumentActions
          what="hold slip"
          fetch={() => client.holds.slip({ holdId: slip.holdId })}
        />
      )}
    </section>
  );
}
