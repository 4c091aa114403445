import type { NavigationPayload, NavigationType } from '@reprise/protocol';
import type { NavigationMarker } from '../types.js';
import { runTeardowns, type CaptureContext, type Teardown } from './context.js';
import { listen, patchMethod } from './patch.js';

/**
 * Params as strings only, whatever the app passed at runtime: a list (a repeatable param) is joined
 * with `/`, numbers and booleans are printed, anything else (an object, maybe cyclic) is dropped,
 * so a marker can never hang redaction or the encoder.
 */
export function stringParams(params: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) out[name] = value.join('/');
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[name] = String(value);
  }
  return out;
}

/** Fill a marker's defaults from the page: the current URL and title. */
export function navigationPayload(
  marker: NavigationMarker = {},
  page?: { href: string; title: string },
): NavigationPayload {
  const payload: NavigationPayload = { url: String(marker.url ?? page?.href ?? '') };
  if (marker.route !== undefined) payload.route = String(marker.route);
  if (marker.name !== undefined) payload.name = String(marker.name);
  if (marker.params !== undefined) payload.params = stringParams(marker.params);
  if (marker.navigationType !== undefined) payload.navigationType = marker.navigationType;
  const title = marker.title ?? page?.title;
  if (title) payload.title = title;
  return payload;
}

export function currentPage(): { href: string; title: string } | undefined {
  if (typeof location === 'undefined') return undefined;
  return { href: location.href, title: typeof document === 'undefined' ? '' : document.title };
}

/** Two markers name the same place when URL and route pattern are equal (type and title aside). */
export function isSameNavigation(a: NavigationPayload | undefined, b: NavigationPayload): boolean {
  return a !== undefined && a.url === b.url && a.route === b.route;
}

/** The Navigation API's `currententrychange` event: not in every browser, nor in TypeScript's DOM types. */
interface EntryChange extends Event {
  readonly navigationType: 'push' | 'replace' | 'reload' | 'traverse' | null;
}
const ENTRY_CHANGE_TYPES: Record<NonNullable<EntryChange['navigationType']>, NavigationType> = {
  push: 'push',
  replace: 'replace',
  reload: 'reload',
  traverse: 'pop',
};

/**
 * `navigation: 'history'`: the current page (unless `markInitial` is false), then every
 * pushState / replaceState / popstate, and, where the browser has the Navigation API, every
 * same-document navigation it commits (`navigation.navigate()`, links a router intercepts with it),
 * which call no history method. Each goes to `navigate`, which drops a marker that repeats the
 * previous one (a state-only replaceState, or the same pushState seen twice, say).
 */
export function startHistoryCapture(
  context: Pick<CaptureContext, 'reportError'>,
  target: Window,
  navigate: (payload: NavigationPayload) => void,
  markInitial = true,
): Teardown {
  const record = (navigationType: NavigationType) => {
    try {
      navigate(navigationPayload({ navigationType }, { href: target.location.href, title: target.document.title }));
    } catch (error) {
      context.reportError(error, 'recording a navigation');
    }
  };
  const history = target.history;
  const teardowns: Teardown[] = [
    ...(['push', 'replace'] as const).map((type) =>
      patchMethod(
        history,
        `${type}State`,
        (error) => context.reportError(error, `capturing history.${type}State`),
        (original, thisArg, args) => {
          const result = original.apply(thisArg, args);
          record(type);
          return result;
        },
      ),
    ),
    listen(target, 'popstate', () => record('pop')),
  ];
  const navigationApi = (target as Window & { navigation?: EventTarget }).navigation;
  if (navigationApi)
    teardowns.push(
      listen(navigationApi, 'currententrychange', (event) => {
        const type = (event as EntryChange).navigationType;
        if (type) record(ENTRY_CHANGE_TYPES[type]);
      }),
    );
  if (markInitial) record('initial');
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring history'));
}
