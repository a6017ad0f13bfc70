/**
 * What bench:ui runs inside the page (Playwright's addInitScript: before the page's own
 * scripts, in every document of the tab), as text because this project's Node types have no DOM.
 *
 * "Painted" is measured as the first task after the rendering step of the frame that carries
 * the change: a MutationObserver sees the DOM change (a microtask right after React's commit),
 * a requestAnimationFrame callback then runs just before that frame's style, layout and paint,
 * and a MessageChannel message posted from it runs right after them. The Event Timing API
 * (PerformanceObserver 'event') cannot measure this: its `duration` ends at the first paint
 * after the keydown's handlers, but the banner is painted later, after the desk's answer came
 * back over the WebSocket. The start is the Enter keydown's `timeStamp` (when the browser took
 * the key, so time the key waited for a busy page counts).
 *
 * It also notes, per scan, when the page sent the scan and when the desk's answer arrived
 * (WebSocket wrapped), to split the time into page input, desk round trip, React render and
 * frame; the long tasks (over 50 ms) the page ran; and what each keystroke into the scan input
 * cost the page (a scanner's burst of keys must not queue up behind re-renders).
 *
 * `window.__carrelBench`: `interactive()` resolves when the scan input got focus and that
 * frame was painted (relative to navigation start, which is performance.now()'s origin);
 * `scanned(barcode)` resolves with that scan's figures once its banner was painted.
 */
export interface ProbedScan {
  readonly barcode: string;
  /** The Enter keydown's timeStamp (ms since navigation start). */
  readonly keydownAt: number;
  /** The page sent the scan over the WebSocket (NaN if not seen). */
  readonly sentAt: number;
  /** The desk's answer arrived (NaN if not seen). */
  readonly answerAt: number;
  /** The banner's DOM showed this scan. */
  readonly domAt: number;
  /** The first task after the frame with the banner was painted. */
  readonly paintedAt: number;
  /** The banner's tone (hold, transit, home, float, reshelve, alert, error). */
  readonly tone: string;
}

export interface ProbedLoad {
  readonly focusedAt: number;
  readonly paintedAt: number;
  /** Long tasks seen up to the paint: [start, duration] in ms. */
  readonly longTasks: readonly (readonly [number, number])[];
}

export const probeSource = String.raw`(() => {
  const scans = new Map();
  const waiting = new Map();
  const longTasks = [];
  const keystrokes = [];
  let inputStarted = NaN;
  let pending = null;
  let interactive = null;
  const interactiveWaiters = [];

  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}

  function afterPaint(then) {
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => then(performance.now());
      channel.port2.postMessage(null);
    });
  }

  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      // The answer carries the call's id (an error answer need not name the barcode).
      this.addEventListener('message', (event) => {
        if (!pending || pending.callId === undefined || !Number.isNaN(pending.answerAt)) return;
        if (typeof event.data === 'string' && event.data.startsWith('{"id":' + pending.callId + ','))
          pending.answerAt = performance.now();
      });
    }
    send(data) {
      if (pending && Number.isNaN(pending.sentAt) && typeof data === 'string' &&
          data.includes('"checkin.scan"') && data.includes(pending.barcode)) {
        pending.sentAt = performance.now();
        pending.callId = JSON.parse(data).id;
      }
      return super.send(data);
    }
  };

  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.key !== 'Enter' || !target || target.id !== 'scan-input') return;
    const barcode = target.value.trim();
    if (!barcode) return;
    pending = { barcode, keydownAt: event.timeStamp, sentAt: NaN, answerAt: NaN };
  }, true);

  // A keystroke's cost to the page: from the input event reaching the document to its end at
  // the window, React's handling and re-render (synchronous for input events) in between.
  document.addEventListener('input', () => { inputStarted = performance.now(); }, true);
  window.addEventListener('input', () => {
    if (!Number.isNaN(inputStarted)) keystrokes.push(performance.now() - inputStarted);
    inputStarted = NaN;
  });

  document.addEventListener('focusin', (event) => {
    if (interactive || !event.target || event.target.id !== 'scan-input') return;
    interactive = { focusedAt: performance.now() };
    afterPaint((paintedAt) => {
      interactive.paintedAt = paintedAt;
      interactive.longTasks = longTasks.filter(([start]) => start < paintedAt);
      for (const resolve of interactiveWaiters.splice(0)) resolve(interactive);
    });
  }, true);

  new MutationObserver(() => {
    if (!pending) return;
    const banner = document.querySelector('[data-testid="scan-banner"]');
    if (!banner || !(banner.textContent || '').includes(pending.barcode)) return;
    const scan = { ...pending, domAt: performance.now(), tone: banner.dataset.tone || '' };
    pending = null;
    afterPaint((paintedAt) => {
      scan.paintedAt = paintedAt;
      performance.measure('scan-to-banner', { start: scan.keydownAt, end: paintedAt });
      scans.set(scan.barcode, scan);
      waiting.get(scan.barcode)?.(scan);
    });
  }).observe(document, { subtree: true, childList: true, characterData: true });

  window.__carrelBench = {
    interactive: () =>
      interactive && interactive.paintedAt !== undefined
        ? Promise.resolve(interactive)
        : new Promise((resolve) => interactiveWaiters.push(resolve)),
    scanned: (barcode, timeoutMs) => {
      const done = scans.get(barcode);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const banner = document.querySelector('[data-testid="scan-banner"]');
          reject(new Error('no banner for ' + barcode + '; it says: ' + (banner ? banner.textContent : 'nothing')));
        }, timeoutMs);
        waiting.set(barcode, (scan) => { clearTimeout(timer); waiting.delete(barcode); resolve(scan); });
      });
    },
    longTasks: () => longTasks.slice(),
    keystrokes: () => keystrokes.slice(),
  };
})();`;
