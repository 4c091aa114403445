import type { ConsoleLevel, ConsolePayload } from '@reprise/protocol';
import type { ResolvedConsole } from '../defaults.js';
import { isConsoleCaptureSuppressed } from '../env.js';
import { runTeardowns, type CaptureContext, type Teardown } from './context.js';
import { patchMethod } from './patch.js';
import { serializeValue } from './serialize.js';

/** Serialize console arguments within the configured caps. */
export function consolePayload(
  level: ConsoleLevel,
  args: readonly unknown[],
  limits: Pick<ResolvedConsole, 'maxArgLength' | 'maxArgs'>,
): ConsolePayload {
  let truncated = args.length > limits.maxArgs;
  const serialized = args.slice(0, limits.maxArgs).map((arg) => {
    const result = serializeValue(arg, limits.maxArgLength);
    if (result.truncated) truncated = true;
    return result.text;
  });
  const payload: ConsolePayload = { level, args: serialized };
  if (truncated) payload.truncated = true;
  return payload;
}

/** The caller's stack, without this module's frames. */
function callerStack(maxLength: number): string | undefined {
  const stack = new Error().stack;
  if (!stack) return undefined;
  // Drop "Error", this function, withTrace, the recording wrapper and patchMethod's pass-through.
  return serializeValue(stack.split('\n').slice(5).join('\n'), maxLength).text;
}

function withTrace(payload: ConsolePayload, maxLength: number): ConsolePayload {
  const trace = callerStack(maxLength);
  if (trace) payload.trace = trace;
  return payload;
}

/** Patch `console[level]` for every recorded level; the originals still run first, unchanged. */
export function startConsoleCapture(context: CaptureContext, options: ResolvedConsole): Teardown {
  const teardowns: Teardown[] = [];
  let recording = false;
  for (const level of options.levels) {
    teardowns.push(
      patchMethod(console, level, (original, thisArg, args) => {
        const result = original.apply(thisArg, args);
        // Re-entrancy (a getter or toString that logs) and the recorder's own warnings pass through.
        if (recording || isConsoleCaptureSuppressed()) return result;
        recording = true;
        try {
          if (level === 'assert') {
            if (args[0]) return result;
            const data = args.length > 1 ? args.slice(1) : ['Assertion failed'];
            context.emit('console', withTrace(consolePayload(level, data, options), options.maxArgLength));
          } else if (level === 'trace') {
            context.emit('console', withTrace(consolePayload(level, args, options), options.maxArgLength));
          } else {
            context.emit('console', consolePayload(level, args, options));
          }
        } catch (error) {
          context.reportError(error, `recording console.${level}`);
        } finally {
          recording = false;
        }
        return result;
      }),
    );
  }
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring console'));
}
