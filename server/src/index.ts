export {
  createCollector,
  retentionRules,
  type Collector,
  type CollectorAddress,
  type CollectorOptions,
  type CollectorPlugin,
} from './collector.js';
export { loadConfig, resolveConfig, helpText, type CollectorConfig, type CollectorConfigInput } from './config.js';
export { CollectorError } from './errors.js';
export { createMetrics, type CollectorMetrics } from './metrics.js';
export { ProjectRegistry, DEV_PROJECT, originMatcher, type ProjectConfig, type ProjectInput } from './projects.js';
export type { ObjectStore, ObjectInfo, RetentionRule } from './store/types.js';
export { FolderObjectStore } from './store/folder-store.js';
export { S3ObjectStore, type S3StoreOptions } from './store/s3-store.js';
export { lifecycleRules, sweepExpiredSegments } from './store/retention.js';
export { shredExpiredDataKeys } from './deletion/shred-expired-keys.js';
export { segmentObjectKey, parseSegmentObjectKey, segmentName, type SegmentLocation } from './store/keys.js';
export type { KeyProvider, DataKeyStore, WrappedDataKey, DataKeyContext } from './crypto/types.js';
export { FileKeyring, dataKeyWrapAad } from './crypto/keyring.js';
export { ObjectDataKeyStore, DataKeyService, type ActiveDataKey } from './crypto/data-keys.js';
export {
  encryptSegment,
  decryptSegment,
  readSegmentHeader,
  segmentAad,
  SEGMENT_MAGIC,
  SEGMENT_FORMAT_VERSION,
  type SegmentHeader,
} from './segment/envelope.js';
export { batchId, type IngestLog, type LogEntry, type LogRecord, type AppendOutcome } from './log/types.js';
export { FileIngestLog } from './log/file-log.js';
export { NatsIngestLog, type NatsLogOptions } from './log/nats-log.js';
export { SegmentWriter, type WriterOptions } from './writer/writer.js';
export { summarizeBatches } from './writer/summary.js';
export { decodeSegmentPayload, encodeSegmentPayload, type SegmentPayload } from './segment/payload.js';
export type { StoredSegment, SegmentStoredHook, SegmentSummary, SegmentBatch } from './segment/types.js';
export { readStoredSegment, readSessionEvents, listSessionSegments, type ReaderDeps } from './segment/reader.js';
