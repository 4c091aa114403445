import { positive, resolveCaptureOptions, type ResolvedOptions } from './defaults.js';
import {
  DEFAULT_CAPTURE_ERRORS,
  DEFAULT_CONSOLE_LEVELS,
  DEFAULT_CONSOLE_MAX_ARG_LENGTH,
  DEFAULT_CONSOLE_MAX_ARGS,
  DEFAULT_NAVIGATION,
  DEFAULT_NETWORK_BODY_TIMEOUT_MS,
  DEFAULT_NETWORK_CAPTURE_BODIES,
  DEFAULT_NETWORK_CAPTURE_HEADERS,
  DEFAULT_NETWORK_MAX_BODY_LENGTH,
  DEFAULT_REDACTION,
  DEFAULT_REQUIRE_CONSENT,
  DEFAULT_ASSET_MAX_BYTES,
  DEFAULT_ASSET_SESSION_MAX_BYTES,
  DEFAULT_ASSET_WAIT_MS,
} from './recorder-defaults.js';
import { MAX_CONSOLE_MAX_ARG_LENGTH, MAX_DELIVERY_MAX_BATCH_BYTES, MAX_NETWORK_MAX_BODY_LENGTH } from './limits.js';
import type { DeliveryOptions, RecorderOptions } from './types.js';

// Apart from defaults.ts: a bundler puts a module in one chunk, and the early capture in an app's
// first chunk needs only resolveCaptureOptions; the rest of the defaults load with the full recorder.

/**
 * Every default applied. Size options above the protocol's limits are lowered to them, and
 * `onClamp` hears about each (createRecorder() reports it as an `options` RecorderError).
 */
export function resolveOptions(options: RecorderOptions = {}, onClamp?: (message: string) => void): ResolvedOptions {
  const capture = resolveCaptureOptions(options);
  const privacy = options.privacy ?? {};
  const network = options.network;
  const consoleOptions = options.console;
  return {
    ...capture,
    project: options.project || undefined,
    endpoint: normalizeEndpoint(options.endpoint),
    requireConsent: options.requireConsent ?? DEFAULT_REQUIRE_CONSENT,
    onEvents: options.onEvents,
    keepSessionOnError: options.keepSessionOnError,
    onError: options.onError,
    privacy: {
      ...capture.privacy,
      redact: {
        emails: privacy.redact?.emails ?? DEFAULT_REDACTION.emails,
        cards: privacy.redact?.cards ?? DEFAULT_REDACTION.cards,
        secretFields: privacy.redact?.secretFields ?? DEFAULT_REDACTION.secretFields,
        dropQueryStrings: privacy.redact?.dropQueryStrings ?? DEFAULT_REDACTION.dropQueryStrings,
        ssn: privacy.redact?.ssn ?? DEFAULT_REDACTION.ssn,
        phones: privacy.redact?.phones ?? DEFAULT_REDACTION.phones,
        patterns: [...DEFAULT_REDACTION.patterns, ...(privacy.redact?.patterns ?? [])],
      },
    },
    network:
      network === false
        ? false
        : {
            captureHeaders: network?.captureHeaders ?? DEFAULT_NETWORK_CAPTURE_HEADERS,
            captureBodies: network?.captureBodies ?? DEFAULT_NETWORK_CAPTURE_BODIES,
            maxBodyLength: positive(
              atMost(network?.maxBodyLength, MAX_NETWORK_MAX_BODY_LENGTH, 'network.maxBodyLength', onClamp),
              DEFAULT_NETWORK_MAX_BODY_LENGTH,
            ),
            bodyTimeoutMs: DEFAULT_NETWORK_BODY_TIMEOUT_MS,
            ignoreUrls: [...(network?.ignoreUrls ?? [])],
          },
    console:
      consoleOptions === false
        ? false
        : {
            levels: [...(consoleOptions?.levels ?? DEFAULT_CONSOLE_LEVELS)],
            maxArgLength: positive(
              atMost(consoleOptions?.maxArgLength, MAX_CONSOLE_MAX_ARG_LENGTH, 'console.maxArgLength', onClamp),
              DEFAULT_CONSOLE_MAX_ARG_LENGTH,
            ),
            maxArgs: DEFAULT_CONSOLE_MAX_ARGS,
          },
    errors: options.errors ?? DEFAULT_CAPTURE_ERRORS,
    navigation: options.navigation ?? DEFAULT_NAVIGATION,
    assets:
      options.assets === false || !options.project || !options.endpoint
        ? false
        : {
            maxAssetBytes: positive(options.assets?.maxAssetBytes, DEFAULT_ASSET_MAX_BYTES),
            maxSessionBytes: positive(options.assets?.maxSessionBytes, DEFAULT_ASSET_SESSION_MAX_BYTES),
            waitMs: positive(options.assets?.waitMs, DEFAULT_ASSET_WAIT_MS),
          },
    delivery: resolveDelivery(options.delivery, onClamp),
  };
}

function resolveDelivery(
  delivery: DeliveryOptions | undefined,
  onClamp: ((message: string) => void) | undefined,
): DeliveryOptions {
  const resolved = { ...(delivery ?? {}) };
  if (resolved.maxBatchBytes !== undefined)
    resolved.maxBatchBytes = atMost(
      resolved.maxBatchBytes,
      MAX_DELIVERY_MAX_BATCH_BYTES,
      'delivery.maxBatchBytes',
      onClamp,
    );
  return resolved;
}

/** Collector URL without trailing slashes, so `${endpoint}/v1/ingest` is well-formed. */
function normalizeEndpoint(endpoint: string | undefined): string | undefined {
  return endpoint ? endpoint.replace(/\/+$/, '') : undefined;
}

/** `value` lowered to `max`, telling `onClamp` which option was too large (values under it, and non-numbers, pass unchanged). */
function atMost<T>(value: T, max: number, name: string, onClamp: ((message: string) => void) | undefined): T | number {
  if (typeof value !== 'number' || !(value > max)) return value;
  onClamp?.(
    `\`${name}\` is ${value}, above the protocol's limit of ${max}: using ${max}. A larger value would make the collector refuse the batches; lower the option to ${max} or less.`,
  );
  return max;
}
