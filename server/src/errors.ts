/**
 * Every error the collector raises on purpose. `status` is the HTTP answer when it reaches a
 * request; `code` is the stable machine-readable reason (also the `error` field of the JSON body
 * and the `reason` label of the refusal metric).
 */
export class CollectorError extends Error {
  override readonly name = 'CollectorError';
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options: { cause?: unknown } = {}) {
    super(`[@reprise/collector] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
