import { PACKAGE_PREFIX } from './env.js';

export type RecorderErrorCode =
  /** rrweb failed while observing or serializing the page. */
  | 'capture'
  /** A capture plugin (console, network, errors, navigation) failed. */
  | 'plugin'
  /** The `onEvents` sink threw. */
  | 'sink'
  /** Delivery (batching, transport) failed. */
  | 'delivery'
  /** The options cannot be used as given. */
  | 'options';

/** Every error the recorder reports: `onError`, the `error` event and debug warnings carry one. */
export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  readonly code: RecorderErrorCode;

  constructor(code: RecorderErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${PACKAGE_PREFIX} ${message}`, options);
    this.code = code;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'unknown error';
  }
}
