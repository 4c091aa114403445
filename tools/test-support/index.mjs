// Test helpers the framework adapters' tests share. Plain JavaScript with a declaration file, so
// each package's TypeScript project can import it without compiling it (no build, no reference).
import { isRepriseEvent } from '@reprise/protocol';

/** An `onEvents` sink that keeps everything the recorder emits, after privacy. */
export function eventSink() {
  const events = [];
  return {
    events,
    onEvents: (batch) => void events.push(...batch),
    payloads: (kind) => events.filter((event) => isRepriseEvent(event, kind)).map((event) => event.data.payload),
    ofType: (type) => events.filter((event) => event.type === type),
  };
}

/** Every global a browser has and Node has not. */
export const BROWSER_GLOBALS = [
  'window',
  'document',
  'location',
  'history',
  'sessionStorage',
  'localStorage',
  'indexedDB',
  'MutationObserver',
  'XMLHttpRequest',
  'HTMLElement',
];

/**
 * For server-side rendering tests in the node environment: defines each browser global as a getter
 * that notes the read and answers undefined, so a render that reads one is caught (and code that
 * uses one throws, as it would on a real server). Throws if one already exists.
 */
export function trapBrowserGlobals(names = BROWSER_GLOBALS) {
  const touched = [];
  for (const name of names) {
    if (name in globalThis) throw new Error(`${name} must not exist in the node environment`);
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return undefined;
      },
    });
  }
  return {
    touched,
    reset: () => void touched.splice(0),
    restore: () => {
      for (const name of names) delete globalThis[name];
    },
  };
}

/** Web Storage (localStorage, sessionStorage) for Node, which has none: the Storage contract, kept in a Map in insertion order. */
export class MemoryStorage {
  #items = new Map();
  get length() {
    return this.#items.size;
  }
  key(index) {
    return [...this.#items.keys()][index] ?? null;
  }
  getItem(key) {
    return this.#items.get(key) ?? null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
  clear() {
    this.#items.clear();
  }
}
