import type { Teardown } from './context.js';

/** Patched methods are seen through this loose signature; the wrapper passes arguments through unchanged. */
export type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/**
 * What a patched method runs instead of the original: it gets the original, the call's `this` and
 * its arguments, and calls the original itself (`original.apply(thisArg, args)`).
 */
export type Around<Self = unknown> = (original: AnyMethod, thisArg: Self, args: unknown[]) => unknown;

/**
 * Replace `target[name]` by a wrapper that runs `around` in place of the current function, and return a teardown that
 * puts back exactly what was there: the same function object, or no own property at all when the
 * method was inherited (so `history.pushState` resolves to the prototype's again).
 *
 * If someone else wrapped our wrapper after us, removing ours would drop theirs too; the wrapper is
 * then left in their chain but turned into a pass-through.
 *
 * A method the page made read-only (a frozen `console`, a `fetch` defined non-writable) is left as
 * it is: `onRefused` hears why, and the teardown does nothing. What else capture patches goes on.
 */
export function patchMethod<T extends object, K extends keyof T, Self = unknown>(
  target: T,
  name: K,
  onRefused: (error: unknown) => void,
  around: Around<Self>,
): Teardown {
  const original = target[name] as unknown as AnyMethod;
  if (typeof original !== 'function') return () => {};
  const hadOwn = Object.prototype.hasOwnProperty.call(target, name);
  let active = true;
  const wrapper = function (this: unknown, ...args: unknown[]) {
    return active ? around(original, this as Self, args) : original.apply(this, args);
  };
  // Keep what pages and tests may inspect (`fetch.name`, `fetch.length`).
  try {
    Object.defineProperty(wrapper, 'name', { value: original.name });
    Object.defineProperty(wrapper, 'length', { value: original.length });
  } catch {
    // non-configurable in some engines; cosmetic only
  }
  const slot = target as Record<K, unknown>;
  try {
    slot[name] = wrapper;
    if (slot[name] !== wrapper) throw new TypeError(`${String(name)} did not take the new value (a setter ignores it)`);
  } catch (error) {
    // Should a setter have kept the wrapper somewhere after all, it only passes calls through.
    active = false;
    onRefused(error);
    return () => {};
  }
  return () => {
    if (!active) return;
    active = false;
    if (slot[name] !== wrapper) return;
    if (hadOwn) slot[name] = original;
    else delete slot[name];
  };
}

/** Add an event listener and return its removal. */
export function listen<K extends string>(
  target: EventTarget,
  type: K,
  listener: (event: Event) => void,
  options?: AddEventListenerOptions,
): Teardown {
  target.addEventListener(type, listener, options);
  return () => target.removeEventListener(type, listener, options);
}
