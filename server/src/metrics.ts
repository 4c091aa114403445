import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The collector's Prometheus metrics, on a registry of its own (plugins may register more on it). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'reprise_' });
  let lagSource: () => number = () => 0;
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const metrics = {
    registry,
    batches: new Counter({
      name: 'reprise_ingest_batches_total',
      help: 'Batches acknowledged (outcome: accepted, duplicate).',
      labelNames: ['project', 'outcome'] as const,
      registers: [registry],
    }),
    bytes: new Counter({
      name: 'reprise_ingest_bytes_total',
      help: 'Request body bytes of acknowledged batches.',
      labelNames: ['project'] as const,
      registers: [registry],
    }),
    events: new Counter({
      name: 'reprise_ingest_events_total',
      help: 'Events in acknowledged batches.',
      labelNames: ['project'] as const,
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'reprise_ingest_refusals_total',
      help: 'Refused ingest requests by reason (the error code of the answer).',
      labelNames: ['reason', 'status'] as const,
      registers: [registry],
    }),
    redactions: new Counter({
      name: 'reprise_ingest_redacted_strings_total',
      help: 'Strings changed by server-side redaction.',
      registers: [registry],
    }),
    ingestLatency: new Histogram({
      name: 'reprise_ingest_duration_seconds',
      help: 'Time from request to answer for POST /v1/ingest.',
      labelNames: ['status'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    appendLatency: new Histogram({
      name: 'reprise_log_append_duration_seconds',
      help: 'Time to make one batch durable in the ingest log (group commit included).',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    logLag: new Gauge({
      name: 'reprise_log_lag_records',
      help: 'Records in the ingest log not yet stored by the writer.',
      registers: [registry],
      collect() {
        this.set(lagSource());
      },
    }),
    /** Where the lag gauge reads from at scrape time. */
    setLagSource(source: () => number) {
      lagSource = source;
    },
    segments: new Counter({
      name: 'reprise_segments_stored_total',
      help: 'Segments stored in the object store.',
      labelNames: ['project'] as const,
      registers: [registry],
    }),
    segmentBytes: new Counter({
      name: 'reprise_segment_bytes_total',
      help: 'Encrypted bytes stored.',
      labelNames: ['project'] as const,
      registers: [registry],
    }),
    damagedDataKeys: new Counter({
      name: 'reprise_data_key_records_damaged_total',
      help: 'Damaged wrapped data key records the retention sweep skipped (restore them from backup or delete them).',
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'reprise_store_errors_total',
      help: 'Failed object-store or key-store operations (each retried).',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    storeLatency: new Histogram({
      name: 'reprise_store_put_duration_seconds',
      help: 'Time to put one segment in the object store.',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    writerDuplicates: new Counter({
      name: 'reprise_writer_duplicates_dropped_total',
      help: 'Batches the writer found already stored (log replay after a crash, cross-node retries).',
      registers: [registry],
    }),
    writerDropped: new Counter({
      name: 'reprise_writer_deleted_dropped_total',
      help: 'Batches the writer released unstored because their session was deleted (tombstone).',
      registers: [registry],
    }),
    hookErrors: new Counter({
      name: 'reprise_segment_hook_errors_total',
      help: 'onSegmentStored hooks that threw (each retried).',
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'reprise_dead_letters_total',
      help: 'Batches the writer could not store even alone, moved to the dead letters (reprise-collector dead-letters list).',
      labelNames: ['project'] as const,
      registers: [registry],
    }),
    logWriteRetries: new Counter({
      name: 'reprise_log_write_retries_total',
      help: 'Ingest log writes retried after an error (the log file reopened).',
      registers: [registry],
    }),
    openSegments: new Gauge({
      name: 'reprise_writer_open_segments',
      help: 'Segments being assembled or stored.',
      registers: [registry],
    }),
  };
  return metrics;
}

export type CollectorMetrics = ReturnType<typeof createMetrics>;
