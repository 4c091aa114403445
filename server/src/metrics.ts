import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The collector's Prometheus metrics, on a registry of its own (plugins may register more on it). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'reprise_' });
  const counter = <Label extends string = never>(name: string, help: string, labelNames: readonly Label[] = []) =>
    new Counter<Label>({ name, help, labelNames, registers: [registry] });
  const latency = <Label extends string = never>(name: string, help: string, labelNames: readonly Label[] = []) =>
    new Histogram<Label>({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] });
  /** A gauge read at scrape time from a source the collector names once its parts exist. */
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
  const metrics = {
    registry,
    batches: counter('reprise_ingest_batches_total', 'Batches acknowledged (outcome: accepted, duplicate).', [
      'project',
      'outcome',
    ]),
    bytes: counter('reprise_ingest_bytes_total', 'Request body bytes of acknowledged batches.', ['project']),
    events: counter('reprise_ingest_events_total', 'Events in acknowledged batches.', ['project']),
    refusals: counter(
      'reprise_ingest_refusals_total',
      'Refused ingest requests by reason (the error code of the answer).',
      ['reason', 'status'],
    ),
    redactions: counter('reprise_ingest_redacted_strings_total', 'Strings changed by server-side redaction.'),
    ingestLatency: latency('reprise_ingest_duration_seconds', 'Time from request to answer for POST /v1/ingest.', [
      'status',
    ]),
    appendLatency: latency(
      'reprise_log_append_duration_seconds',
      'Time to make one batch durable in the ingest log (group commit included).',
    ),
    /** Where `reprise_log_lag_records` reads from. */
    setLagSource: sourced('reprise_log_lag_records', 'Records in the ingest log not yet stored by the writer.'),
    /** Where `reprise_ingest_requests_in_flight` reads from. */
    setAnsweringSource: sourced(
      'reprise_ingest_requests_in_flight',
      'Ingest requests being answered; at 16 or more the writer gives way (REPRISE_WRITER_YIELD_MS).',
    ),
    segments: counter('reprise_segments_stored_total', 'Segments stored in the object store.', ['project']),
    segmentBytes: counter('reprise_segment_bytes_total', 'Encrypted bytes stored.', ['project']),
    damagedDataKeys: counter(
      'reprise_data_key_records_damaged_total',
      'Damaged wrapped data key records the retention sweep skipped (restore them from backup or delete them).',
    ),
    storeErrors: counter('reprise_store_errors_total', 'Failed object-store or key-store operations (each retried).', [
      'operation',
    ]),
    storeLatency: latency('reprise_store_put_duration_seconds', 'Time to put one segment in the object store.'),
    writerDuplicates: counter(
      'reprise_writer_duplicates_dropped_total',
      'Batches the writer found already stored (log replay after a crash, cross-node retries).',
    ),
    writerDropped: counter(
      'reprise_writer_deleted_dropped_total',
      'Batches the writer released unstored because their session was deleted (tombstone).',
    ),
    hookErrors: counter('reprise_segment_hook_errors_total', 'onSegmentStored hooks that threw (each retried).'),
    deadLetters: counter(
      'reprise_dead_letters_total',
      'Batches the writer could not store even alone, moved to the dead letters (reprise-collector dead-letters list).',
      ['project'],
    ),
    logWriteRetries: counter(
      'reprise_log_write_retries_total',
      'Ingest log writes retried after an error (the log file reopened).',
    ),
    openSegments: new Gauge({
      name: 'reprise_writer_open_segments',
      help: 'Segments being assembled or stored.',
      registers: [registry],
    }),
  };
  return metrics;
}

export type CollectorMetrics = ReturnType<typeof createMetrics>;
