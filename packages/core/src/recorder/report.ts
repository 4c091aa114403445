import type { ResolvedOptions } from '../defaults.js';
import type { Emitter } from '@reprise/protocol/page';
import { debugWarn, devWarn } from '../env.js';
import { describeError } from '../capture/serialize.js';
import { RecorderError, type RecorderErrorCode } from '../errors.js';
import type { RecorderEvents } from '../types.js';

export type Warn = (message: string, detail?: unknown) => void;
export type Report = (error: unknown, code: RecorderErrorCode, what: string) => void;

/** Dev-build warnings, and in every build with `debug: true`. */
export function createWarn(config: Pick<ResolvedOptions, 'debug'>): Warn {
  return (message, detail) => (config.debug ? debugWarn(true, message, detail) : devWarn(message, detail));
}

/**
 * Every failure reaches the app the same way: one RecorderError (with its code) to `onError` and
 * to `on('error')`, and the console with `debug`. A failure never escapes into the app's code.
 */
export function createReport(
  config: Pick<ResolvedOptions, 'debug' | 'onError'>,
  emitter: Emitter<RecorderEvents>,
  warn: Warn,
): Report {
  return (error, code, what) => {
    const recorderError =
      error instanceof RecorderError
        ? error
        : new RecorderError(code, `${what} failed: ${describeError(error)}`, { cause: error });
    try {
      config.onError?.(recorderError);
    } catch (failure) {
      warn('the onError option threw', failure);
    }
    emitter.emit('error', recorderError);
    debugWarn(config.debug, recorderError.message, error);
  };
}
