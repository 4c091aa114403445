import type { ConsoleLevel, ConsolePayload } from '@reprise/protocol';
import type { ResolvedConsole } from '../defaults.js';
import { isConsoleCaptureSuppressed } from '../env.js';
import { runTeardowns, type CaptureContext, type Teardown } from './context.js';
import { logsRecordedError } from './errors.js';
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

/**
 * Labels the recorder counts or times at once. A page that counts or starts a timer per item
 * (`console.time(requestId)` never ended) would otherwise grow these maps for its lifetime; past
 * the cap the oldest label is forgotten (its later `timeEnd` is then not recorded).
 */
export const MAX_CONSOLE_LABELS = 1000;

/** `map.set(label, value)`, forgetting the oldest label when the map is full. */
function remember(map: Map<string, number>, label: string, value: number): void {
  map.delete(label);
  if (map.size >= MAX_CONSOLE_LABELS) map.delete(map.keys().next().value!);
  map.set(label, value);
}

/** The label `count`, `time`, `timeLog` and `timeEnd` are given (`'default'` without one, as browsers print). */
function labelOf(args: readonly unknown[]): string {
  return args[0] === undefined ? 'default' : String(args[0]);
}

/**
 * What a recorded call of `level` says, or undefined when it says nothing: a passing assertion, a
 * timer this recording did not see start. `count`, `timeLog` and `timeEnd` print a line of their
 * own in the browser ("clicks: 3", "load: 12.5 ms"), so the recording carries that line.
 */
function recordedArguments(
  level: ConsoleLevel,
  args: readonly unknown[],
  counts: Map<string, number>,
  timers: Map<string, number>,
): readonly unknown[] | undefined {
  if (level === 'assert') return args[0] ? undefined : args.length > 1 ? args.slice(1) : ['Assertion failed'];
  if (level === 'group') return args.length > 0 ? args : ['console.group'];
  if (level === 'count') {
    const count = (counts.get(labelOf(args)) ?? 0) + 1;
    remember(counts, labelOf(args), count);
    return [`${labelOf(args)}: ${count}`];
  }
  if (level === 'timeLog' || level === 'timeEnd') {
    const started = timers.get(labelOf(args));
    if (started === undefined) return undefined;
    if (level === 'timeEnd') timers.delete(labelOf(args));
    const line = `${labelOf(args)}: ${Math.round((performance.now() - started) * 1000) / 1000} ms`;
    return level === 'timeLog' ? [line, ...args.slice(1)] : [line];
  }
  return args;
}

/**
 * Patch the console method of every recorded level (`group` is also `groupCollapsed`); the
 * originals still run first, unchanged. `countReset` and `time` are patched too when a level needs
 * what they keep, and record nothing themselves.
 */
export function startConsoleCapture(context: CaptureContext, options: ResolvedConsole): Teardown {
  const teardowns: Teardown[] = [];
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  let recording = false;
  const levels = new Set(options.levels);
  // A frozen console refuses every method: said once.
  let refusalReported = false;
  const refused = (method: string) => (error: unknown) => {
    if (refusalReported) return;
    refusalReported = true;
    context.reportError(error, `capturing console.${method} (and any other console method the page made read-only)`);
  };
  const keep = (method: 'countReset' | 'time', update: (label: string) => void) =>
    teardowns.push(
      patchMethod(console, method, refused(method), (original, thisArg, args) => {
        const result = original.apply(thisArg, args);
        try {
          update(labelOf(args));
        } catch {
          // A label whose toString throws: the browser's own call threw on it first.
        }
        return result;
      }),
    );
  if (levels.has('count')) keep('countReset', (label) => counts.delete(label));
  if (levels.has('timeLog') || levels.has('timeEnd'))
    keep('time', (label) => remember(timers, label, performance.now()));
  for (const level of levels) {
    for (const method of level === 'group' ? (['group', 'groupCollapsed'] as const) : [level]) {
      teardowns.push(
        patchMethod(console, method, refused(method), (original, thisArg, args) => {
          const result = original.apply(thisArg, args);
          // Re-entrancy (a getter or toString that logs) and the recorder's own warnings pass through.
          if (recording || isConsoleCaptureSuppressed()) return result;
          // The error itself is an error event already: logging it is not a second one.
          if (level === 'error' && logsRecordedError(args)) return result;
          recording = true;
          try {
            const data = recordedArguments(level, args, counts, timers);
            if (!data) return result;
            const payload = consolePayload(level, data, options);
            context.emit(
              'console',
              level === 'trace' || level === 'assert' ? withTrace(payload, options.maxArgLength) : payload,
            );
          } catch (error) {
            context.reportError(error, `recording console.${method}`);
          } finally {
            recording = false;
          }
          return result;
        }),
      );
    }
  }
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring console'));
}
