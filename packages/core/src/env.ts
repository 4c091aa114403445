/**
 * Where the recorder runs. Nothing here touches `window` at import time, so the package can be
 * imported during server-side rendering.
 */

declare const process: { env: { NODE_ENV?: string } } | undefined;

/**
 * False in production builds: bundlers replace `process.env.NODE_ENV`, and the script-tag build is
 * compiled as production. The try/catch keeps an unbundled browser (no `process`) working.
 */
export const DEBUG_BUILD: boolean = (() => {
  try {
    return process!.env.NODE_ENV !== 'production';
  } catch {
    return true;
  }
})();

export function isBrowser(): boolean {
  return typeof window !== 'undefined' && typeof document !== 'undefined';
}

/**
 * While > 0, the console plugin passes calls straight through. The recorder's own warnings go
 * through here so they are never recorded as page console output (and can never loop).
 */
let consoleCaptureSuppressed = 0;

export function isConsoleCaptureSuppressed(): boolean {
  return consoleCaptureSuppressed > 0;
}

export function withoutConsoleCapture(run: () => void): void {
  consoleCaptureSuppressed++;
  try {
    run();
  } finally {
    consoleCaptureSuppressed--;
  }
}

export const PACKAGE_PREFIX = '[@reprise/core]';

function printWarning(message: string, detail?: unknown): void {
  if (typeof console === 'undefined') return;
  withoutConsoleCapture(() => {
    if (detail === undefined) console.warn(`${PACKAGE_PREFIX} ${message}`);
    else console.warn(`${PACKAGE_PREFIX} ${message}`, detail);
  });
}

/** A dev-only console warning; production builds (and the script-tag build) never print it. */
export function devWarn(message: string, detail?: unknown): void {
  if (DEBUG_BUILD) printWarning(message, detail);
}

/**
 * A warning asked for with the `debug` option. It follows the option at runtime in every build,
 * because the script-tag build is compiled as production and is where a page author needs it most.
 */
export function debugWarn(debug: boolean, message: string, detail?: unknown): void {
  if (debug) printWarning(message, detail);
}
