/** How long the loaders wait for an idle moment after the page's `load` event. */
const IDLE_TIMEOUT_MS = 1_000;

/** After the page's `load` event and then an idle moment, so the full recorder never competes with the page's own loading. */
export function afterPageLoad(run: () => void): void {
  if (typeof document === 'undefined') return run();
  const whenIdle = () => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: IDLE_TIMEOUT_MS });
    else setTimeout(run, 0);
  };
  if (document.readyState === 'complete') whenIdle();
  else window.addEventListener('load', whenIdle, { once: true });
}
