import { PACKAGE_PREFIX } from './env.js';

export type RecorderErrorCode =
  /** rrweb failed while observing or serializing the page. */
  | 'capture'
  /** A capture plugin (console, network, errors, navigation) failed. */
  | 'plugin'
  /** An app callback threw: the `onEvents` sink, `keepSessionOnError`. */
  | 'sink'
  /** Delivery (batching, transport) failed. */
  | 'delivery'
  /** The options cannot be used as given. */
  | 'options'
  /** The loader (script tag or `@reprise/core/lazy`) could not fetch the full recorder, or it did not define `createRecorder`. */
  | 'load'
  /** More calls were made before the full recorder arrived than the loader keeps. */
  | 'queue';

/** Every error the recorder and its loaders report: `onError`, the `error` event and debug warnings carry one. */
export class RecorderError extends Error {
  override readonly name: string = 'RecorderError';
  readonly code: RecorderErrorCode;

  constructor(code: RecorderErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${PACKAGE_PREFIX} ${message}`, options);
    this.code = code;
  }
}

/** A batch (or several) could not be delivered and was dropped: counted, never silent. */
export class DeliveryDropError extends RecorderError {
  override readonly name = 'DeliveryDropError';
  constructor(
    readonly reason: 'outbox_full' | 'rejected' | 'too_large',
    readonly batches: number,
    readonly bytes: number,
    detail: string,
  ) {
    super('delivery', `Delivery dropped ${batches} batch(es), ${bytes} bytes: ${detail}.`);
  }
}
