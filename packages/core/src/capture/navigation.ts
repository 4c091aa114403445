import type { NavigationPayload, NavigationType } from '@reprise/protocol';
import type { NavigationMarker } from '../types.js';
import type { CaptureContext, Teardown } from './context.js';
import { listen, patchMethod, runTeardowns } from './patch.js';

/** Fill a marker's defaults from the page: the current URL and title. */
export function navigationPayload(marker: NavigationMarker = {}, page?: { href: string; title: string }): NavigationPayload {
  const payload: NavigationPayload = { url: marker.url ?? page?.href ?? '' };
  if (marker.route !== undefined) payload.route = marker.route;
  if (marker.params !== undefined) payload.params = { ...marker.params };
  if (marker.navigationType !== undefined) payload.navigationType = marker.navigationType;
  const title = marker.title ?? page?.title;
  if (title) payload.title = title;
  return payload;
}

export function currentPage(): { href: string; title: string } | undefined {
  if (typeof location === 'undefined') return undefined;
  return { href: location.href, title: typeof document === 'undefined' ? '' : document.title };
}

/**
 * `navigation: 'history'`: the initial page, then every pushState / replaceState / popstate.
 * A call that leaves the URL unchanged (a state-only replaceState) records nothing.
 */
export function startHistoryCapture(context: CaptureContext, target: Window): Teardown {
  let lastUrl = target.location.href;
  const record = (navigationType: NavigationType) => {
    try {
      const href = target.location.href;
      if (navigationType !== 'initial' && href === lastUrl) return;
      lastUrl = href;
      context.emit('navigation', navigationPayload({ navigationType }, { href, title: target.document.title }));
    } catch (error) {
      context.reportError(error, 'recording a navigation');
    }
  };
  const history = target.history;
  const teardowns: Teardown[] = [
    patchMethod(history, 'pushState', (original) =>
      function (this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        record('push');
        return result;
      },
    ),
    patchMethod(history, 'replaceState', (original) =>
      function (this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        record('replace');
        return result;
      },
    ),
    listen(target, 'popstate', () => record('pop')),
  ];
  record('initial');
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring history'));
}
