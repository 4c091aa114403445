export type ProtocolErrorCode =
  | 'bad_frame'
  | 'unsupported_codec'
  | 'decompression_failed'
  | 'too_large'
  | 'bad_msgpack'
  | 'bad_json'
  | 'unsupported_version'
  | 'invalid_batch'
  | 'too_deep'
  | 'string_too_long'
  | 'too_many_events'
  | 'too_many_values'
  | 'unsupported_type'
  | 'duplicate_key'
  | 'bad_utf8'
  | 'bad_timestamp';

/**
 * A batch the protocol refuses. `status` is the HTTP status a collector should answer with;
 * `path` points at the offending field where there is one (e.g. `events.3.timestamp`).
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly status: 400 | 413;
  readonly path: string | undefined;

  constructor(code: ProtocolErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(`[@reprise/protocol] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // Too many values is a size: the recorder halves a batch answered 413.
    this.status = code === 'too_large' || code === 'too_many_values' ? 413 : 400;
    this.path = options.path;
  }
}
