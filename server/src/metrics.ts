import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A metric of the collector's: its name after `reprise_`, its help, its label names. */
type MetricSpec = readonly [name: string, help: string, labelNames: readonly string[]];

/** The collector's counters, by the property that holds each. */
const COUNTERS = {
  batches: ['ingest_batches_total', 'Batches acknowledged (outcome: accepted, duplicate).', ['project', 'outcome']],
  bytes: ['ingest_bytes_total', 'Request body bytes of acknowledged batches.', ['project']],
  events: ['ingest_events_total', 'Events in acknowledged batches.', ['project']],
  refusals: [
    'ingest_refusals_total',
    'Refused ingest requests by reason (the error code of the answer).',
    ['reason', 'status'],
  ],
  redactions: ['ingest_redacted_strings_total', 'Strings changed by server-side redaction.', []],
  segments: ['segments_stored_total', 'Segments stored in the object store.', ['project']],
  segmentBytes: ['segment_bytes_total', 'Encrypted bytes stored.', ['project']],
  damagedDataKeys: [
    'data_key_records_damaged_total',
    'Damaged wrapped data key records the retention sweep skipped (restore them from backup or delete them).',
    [],
  ],
  storeErrors: ['store_errors_total', 'Failed object-store or key-store operations (each retried).', ['operation']],
  writerDuplicates: [
    'writer_duplicates_dropped_total',
    'Batches the writer found already stored (log replay after a crash, cross-node retries).',
    [],
  ],
  writerDropped: [
    'writer_deleted_dropped_total',
    'Batches the writer released unstored because their session was deleted (tombstone).',
    [],
  ],
  hookErrors: ['segment_hook_errors_total', 'onSegmentStored hooks that threw (each retried).', []],
  deadLetters: [
    'dead_letters_total',
    'Batches the writer could not store even alone, moved to the dead letters (reprise-collector dead-letters list).',
    ['project'],
  ],
  logWriteRetries: ['log_write_retries_total', 'Ingest log writes retried after an error (the log file reopened).', []],
} as const satisfies Record<string, MetricSpec>;

/** The collector's latency histograms (seconds, `LATENCY_BUCKETS`), by the property that holds each. */
const LATENCIES = {
  ingestLatency: ['ingest_duration_seconds', 'Time from request to answer for POST /v1/ingest.', ['status']],
  appendLatency: [
    'log_append_duration_seconds',
    'Time to make one batch durable in the ingest log (group commit included).',
    [],
  ],
  storeLatency: ['store_put_duration_seconds', 'Time to put one segment in the object store.', []],
} as const satisfies Record<string, MetricSpec>;

type LabelsOf<Spec extends MetricSpec> = Spec[2][number];
type CountersOf<Specs extends Record<string, MetricSpec>> = { [Key in keyof Specs]: Counter<LabelsOf<Specs[Key]>> };
type HistogramsOf<Specs extends Record<string, MetricSpec>> = { [Key in keyof Specs]: Histogram<LabelsOf<Specs[Key]>> };

/** The collector's Prometheus metrics, on a registry of its own (plugins may register more on it). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'reprise_' });
  const sourced = (name: string, help: string) => {
    let source: () => number = () => 0;
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(source());
      },
    });
    return (read: () => number) => {
      source = read;
    };
  };
  const counters = Object.fromEntries(
    Object.entries(COUNTERS).map(([key, [name, help, labelNames]]) => [
      key,
      new Counter({ name: `reprise_${name}`, help, labelNames, registers: [registry] }),
    ]),
  ) as CountersOf<typeof COUNTERS>;
  const latencies = Object.fromEntries(
    Object.entries(LATENCIES).map(([key, [name, help, labelNames]]) => [
      key,
      new Histogram({ name: `reprise_${name}`, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] }),
    ]),
  ) as HistogramsOf<typeof LATENCIES>;
  return {
    registry,
    ...counters,
    ...latencies,
    /** Where `reprise_log_lag_records` reads from. */
    setLagSource: sourced('reprise_log_lag_records', 'Records in the ingest log not yet stored by the writer.'),
    /** Where `reprise_ingest_requests_in_flight` reads from. */
    setAnsweringSource: sourced(
      'reprise_ingest_requests_in_flight',
      'Ingest requests being answered; while ingest is saturated the writer gives way (REPRISE_WRITER_YIELD_MS).',
    ),
    openSegments: new Gauge({
      name: 'reprise_writer_open_segments',
      help: 'Segments being assembled or stored.',
      registers: [registry],
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof createMetrics>;
