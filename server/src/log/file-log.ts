import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { CollectorError, errorMessage } from '../errors.js';
import { syncDirectory } from '../fs/sync-directory.js';
import { writeFileSynced } from '../fs/write-file-synced.js';
import { isSealedLogRecord, type LogCipher, type LogKey } from './cipher.js';
import { GroupCommit } from './group-commit.js';
import { maxLogRecordBytes, packLogRecord, unpackLogRecord } from './record.js';
import { SyncWriter } from './sync-writer.js';
import type { AppendOutcome, IngestLog, LogEntry, LogRecord } from './types.js';

/**
 * The embedded append-only log (the default log back-end).
 *
 * Files `wal-NNNNNNNN.log` in one folder, each a run of records:
 *   u32 LE payload length | u32 LE crc32(payload) | payload (msgpack LogRecord)
 * With a `cipher` (the collector always gives one) the payload is the sealed record (cipher.ts):
 * every file has a data key of its own in the data-key store, named `{log id}-wal-NNNNNNNN`, that
 * is shredded when the file is deleted. Files roll by age as well as size, and a file is deleted
 * once every record in it was released, so a released batch stays readable for minutes, not for
 * as long as a quiet collector takes to fill 64 MiB. A position is `fileNumber * 2^32 + byteOffset` of a record's first byte.
 *
 * Appends are group-committed: every append waiting while one write + fdatasync is in progress
 * goes out in the next single write + fdatasync, and each promise resolves only after the
 * fdatasync that covers it. `cursor.json` remembers the first position not yet released; after a
 * crash, everything from there is handed out again, and a torn record at the tail (a write that
 * never got its fsync, so was never acknowledged) is cut off.
 *
 * A bad record (length out of bounds, crc mismatch, undecodable) that valid records follow is not
 * a torn tail: it is corruption of acknowledged data. The log then looks for the first offset
 * after it from which records parse back to back to the end of the file, skips only the bytes in
 * between (logged as an error with their range) and keeps everything after: one damaged record
 * must not silently take every acknowledged record behind it along.
 *
 * Files are preallocated: the next file is written full of zeros and fsynced in the background
 * while the current one fills, and appends overwrite those zeros in place. An fdatasync then only
 * flushes the record's pages: on ext4 an append that grows the file also forces a journal commit,
 * which waits for every other process's pending metadata, and the ack would wait with it. All
 * zeros after the last record is the clean end of a file; a finished file is cut to its last
 * record when the log rolls.
 *
 * Records appended by this process are also kept in memory (bounded) until the writer reads them:
 * a caught-up writer gets the decoded record without reading it back from disk and unpacking it
 * again. After a restart everything comes from disk.
 */
export interface FileLogOptions {
  /** Called before each retried write (a metric). */
  onWriteRetry?: () => void;
  dir: string;
  /** Roll to a new file past this size. @default 64 MiB */
  maxFileBytes?: number;
  /** How often the release cursor is persisted. @default 1000 */
  cursorIntervalMs?: number;
  /**
   * Largest record: an append past it is refused (413), a longer length read back is corruption.
   * @default maxLogRecordBytes() (for the protocol's default 8 MiB batches)
   */
  maxRecordBytes?: number;
  /** Encoded bytes of appended records kept in memory for the writer. @default 16 MiB */
  maxCachedBytes?: number;
  /** Prepare the next file (maxFileBytes of zeros) ahead of the roll. @default true */
  preallocate?: boolean;
  /**
   * Seal records under a per-file data key (STORAGE.md, "Encrypted log records"). Without it
   * records are written in clear (tests, embedders that encrypt the disk themselves).
   */
  cipher?: LogCipher;
  /**
   * Roll to a new file once the current one holds a record older than this, so released records
   * are deleted (and their key shredded) within about this long even when little traffic comes.
   * @default 5 minutes
   */
  maxFileAgeMs?: number;
  logger?: Logger;
}

const HEADER_BYTES = 8;
/** Attempts at one group's write + fdatasync before its appends are refused (503, the recorder retries). */
const WRITE_ATTEMPTS = 4;
const WRITE_RETRY_BASE_MS = 100;
const FILE_SPAN = 2 ** 32;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);

const fileName = (n: number) => `wal-${String(n).padStart(8, '0')}.log`;
/** The id that names this log's keys in a data-key store other logs may share (S3). */
const LOG_ID_FILE = 'log-id';
/** A file being filled with zeros for later use; renamed to its `fileName` when the log rolls to it. */
const preparedName = (n: number) => `${fileName(n)}.prepared`;

/** True when every byte of `bytes` from `offset` on is zero: the preallocated rest of a file. */
function zeroFrom(bytes: Buffer, offset: number): boolean {
  for (let at = offset; at < bytes.byteLength; at += ZEROS.byteLength) {
    const end = Math.min(bytes.byteLength, at + ZEROS.byteLength);
    if (!bytes.subarray(at, end).equals(ZEROS.subarray(0, end - at))) return false;
  }
  return true;
}
const positionOf = (file: number, offset: number) => file * FILE_SPAN + offset;
const fileOf = (position: number) => Math.floor(position / FILE_SPAN);
const offsetOf = (position: number) => position % FILE_SPAN;

interface PendingAppend {
  bytes: Buffer;
  record: LogRecord;
  /** The key the bytes are sealed under; a roll between encoding and writing means sealing again. */
  key: LogKey | undefined;
}

/** A record appended by this process, waiting in memory for the writer. */
interface CachedRecord {
  position: number;
  record: LogRecord;
  length: number;
}

/** Header (length, crc32) and payload of one record, in one buffer; sealed when a key is given. */
export function encodeLogRecord(record: LogRecord, seal?: { cipher: LogCipher; key: LogKey }): Buffer {
  const packed = packLogRecord(record, HEADER_BYTES);
  const bytes = seal ? seal.cipher.seal(packed, seal.key, HEADER_BYTES, HEADER_BYTES) : packed;
  const payload = bytes.subarray(HEADER_BYTES);
  bytes.writeUInt32LE(payload.byteLength, 0);
  bytes.writeUInt32LE(crc32(payload), 4);
  return bytes;
}

/** Turns a record's payload into a LogRecord, or throws. */
type DecodePayload = (payload: Buffer) => LogRecord;

/**
 * Length of the valid record at `offset` of `bytes`, or -1: a length within bounds and inside the
 * buffer, a matching crc32 and, when `decode` is set, a payload that decodes as a LogRecord.
 */
function validRecordAt(bytes: Buffer, offset: number, maxRecordBytes: number, decode: DecodePayload | false): number {
  if (offset + HEADER_BYTES > bytes.byteLength) return -1;
  const length = bytes.readUInt32LE(offset);
  if (length === 0 || length > maxRecordBytes || offset + HEADER_BYTES + length > bytes.byteLength) return -1;
  const payload = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  if (crc32(payload) !== bytes.readUInt32LE(offset + 4)) return -1;
  if (decode) {
    try {
      decode(payload);
    } catch {
      return -1;
    }
  }
  return length;
}

/**
 * Where records resume after a bad one at `from`: the first offset past it from which valid,
 * decodable records follow one another to the end of `bytes`, or to more damage that records
 * resume after in turn. Random damage does not chain by chance, nor does a record torn by a crash
 * (its bytes end mid-record). Returns -1 when there is none: everything from `from` on is a torn
 * tail. (Only physical damage to the log makes this search run; a frame forged inside a batch's
 * own bytes could then be picked up, which a reader of a damaged log has no way to tell apart.)
 */
export function resyncOffset(
  bytes: Buffer,
  from: number,
  maxRecordBytes: number,
  decode: DecodePayload = unpackLogRecord,
  depth = 0,
): number {
  if (depth > 64) return -1;
  for (let candidate = from + 1; candidate + HEADER_BYTES < bytes.byteLength; candidate++) {
    let at = candidate;
    let length = validRecordAt(bytes, at, maxRecordBytes, decode);
    if (length <= 0) continue;
    while (length > 0) {
      at += HEADER_BYTES + length;
      if (at === bytes.byteLength) return candidate;
      length = validRecordAt(bytes, at, maxRecordBytes, false);
    }
    // The chain ran into more damage: the candidate counts if records resume after that too.
    if (resyncOffset(bytes, at, maxRecordBytes, decode, depth + 1) >= 0) return candidate;
  }
  return -1;
}

export class FileIngestLog implements IngestLog {
  readonly description: string;
  private readonly dir: string;
  private readonly maxFileBytes: number;
  private readonly cursorIntervalMs: number;
  private readonly maxRecordBytes: number;
  private readonly maxCachedBytes: number;
  private readonly preallocate: boolean;
  private readonly logger: Logger | undefined;
  private readonly onWriteRetry: (() => void) | undefined;
  private readonly cipher: LogCipher | undefined;
  private readonly maxFileAgeMs: number;
  /** Names this log's keys (LOG_ID_FILE). */
  private logId = '';
  /** The write file's data key (with a cipher). */
  private writeKey: LogKey | undefined;
  /**
   * Files from before the log was encrypted, and where their records in clear end: the only
   * records that may be in clear (the write file then continues sealed after them).
   */
  private readonly clearFiles = new Map<number, number>();
  /** When the write file got its first record (epoch ms); undefined while it is empty. */
  private writeFileSince: number | undefined;
  private rollRequested = false;
  private ageTimer: NodeJS.Timeout | undefined;
  /** Write + fdatasync off libuv's shared pool (see sync-writer.ts); undefined: through the FileHandle. */
  private syncWriter: SyncWriter | undefined;
  /** Where the data of each finished file (before the write file) ends. */
  private readonly finishedEnds = new Map<number, number>();
  /** The next file being zeroed in the background, and its number. */
  private preparing: { file: number; done: Promise<boolean>; ready: boolean } | undefined;

  private writeHandle: FileHandle | undefined;
  private writeFile = 1;
  private writeOffset = 0;
  /** Everything before this position is on disk and fsynced. */
  private durableEnd = 0;
  /** Group commit: one write + one fdatasync for everything queued meanwhile. */
  // `undefined` items carry no record: they make a group (and its afterCommit) run, to roll.
  private readonly appends = new GroupCommit<PendingAppend | undefined>({
    commit: (group) => this.writeGroup(group),
    afterCommit: async () => {
      this.wakeReaders();
      if (this.writeOffset >= this.maxFileBytes || (this.rollRequested && this.writeOffset > 0)) await this.roll();
      this.rollRequested = false;
      this.prepareNext();
    },
    failed: (error) => {
      // Nothing of the group counts: the next group is written at the same offset, over any
      // partial record this one left (positional writes), once the file could be reopened.
      this.logger?.error(
        { err: error },
        'ingest log: write failed after retries; these appends were refused, the next ones try again',
      );
      return new CollectorError(
        'log_write_failed',
        503,
        `Could not append to the ingest log in ${this.dir}: ${errorMessage(error)}. Nothing was acknowledged; retry.`,
        { cause: error },
      );
    },
  });

  private readFile = 1;
  private readOffset = 0;
  private readHandle: FileHandle | undefined;
  private readHandleFile = 0;
  /** Size of the file behind readHandle when it was opened (finished files no longer grow). */
  private readHandleSize = 0;
  private readBuffer = Buffer.alloc(0);
  private readBufferStart = 0;

  /** Appended by this process, not yet read, in position order (`cachedHead` is the first live one). */
  private cached: CachedRecord[] = [];
  private cachedHead = 0;
  private cachedBytes = 0;
  /** Damaged byte ranges found at open: position of the bad record -> position where records resume. */
  private readonly skips = new Map<number, number>();

  /** Handed out, not yet released, in increasing position order. */
  private readonly outstanding = new Map<number, true>();
  private committedCursor = 0;
  private persistedCursor = -1;
  private cursorTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private appendedCount = 0;
  private releasedCount = 0;
  private closed = false;

  constructor(options: FileLogOptions) {
    this.dir = options.dir;
    this.maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
    this.cursorIntervalMs = options.cursorIntervalMs ?? 1000;
    this.maxRecordBytes = options.maxRecordBytes ?? maxLogRecordBytes();
    this.maxCachedBytes = options.maxCachedBytes ?? 16 * 1024 * 1024;
    this.preallocate = options.preallocate ?? true;
    this.logger = options.logger;
    this.onWriteRetry = options.onWriteRetry;
    this.cipher = options.cipher;
    this.maxFileAgeMs = options.maxFileAgeMs ?? 5 * 60_000;
    this.description = `file:${options.dir}`;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const files = (await readdir(this.dir))
      .map((name) => /^wal-(\d{8})\.log$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const cursor = await this.readCursor();
    this.committedCursor = cursor ?? (files.length > 0 ? positionOf(files[0]!, 0) : positionOf(1, 0));
    if (this.cipher) await this.loadKeys(files);
    // Scan from the cursor to the end: count what is left, skip damage, cut a torn tail.
    let lastFile = files.length > 0 ? files[files.length - 1]! : fileOf(this.committedCursor);
    let endOffset = 0;
    for (const file of files) {
      if (file < fileOf(this.committedCursor)) continue;
      const start = file === fileOf(this.committedCursor) ? offsetOf(this.committedCursor) : 0;
      const { validEnd, records, torn, padded } = await this.scanFile(file, start);
      this.appendedCount += records;
      if (padded && file !== lastFile) {
        // A crash between rolling and cutting the finished file: cut its zeros now.
        const handle = await open(join(this.dir, fileName(file)), 'r+');
        await handle.truncate(validEnd);
        await handle.sync();
        await handle.close();
      }
      if (torn) {
        if (file === lastFile) {
          this.logger?.warn(
            { file: fileName(file), offset: validEnd },
            'ingest log: cutting a torn record at the tail (it was never acknowledged)',
          );
          const handle = await open(join(this.dir, fileName(file)), 'r+');
          await handle.truncate(validEnd);
          await handle.sync();
          await handle.close();
        } else {
          // Files roll only after an fsynced write: a finished file cannot have a torn end.
          this.logger?.error(
            { file: fileName(file), offset: validEnd },
            'ingest log: the end of a finished log file is unreadable and no record follows the damage; those bytes are skipped',
          );
        }
      }
      if (file === lastFile) endOffset = validEnd;
      else this.finishedEnds.set(file, validEnd);
    }
    if (files.length === 0) lastFile = Math.max(1, fileOf(this.committedCursor));
    this.writeFile = lastFile;
    this.writeOffset = endOffset;
    this.writeHandle = await this.openForWriting(this.writeFile);
    if (this.cipher) {
      // Records are sealed under the write file's own key only, so a key dies with its file. A
      // write file from before encryption keeps its records in clear up to here.
      if (this.clearFiles.has(this.writeFile)) this.clearFiles.set(this.writeFile, this.writeOffset);
      this.writeKey =
        (await this.cipher.load(this.keyName(this.writeFile)))[0] ??
        (await this.cipher.create(this.keyName(this.writeFile)));
    }
    if (this.writeOffset > 0) this.writeFileSince = Date.now();
    const syncWriter = new SyncWriter();
    if (syncWriter.start()) this.syncWriter = syncWriter;
    if (files.length === 0) await syncDirectory(this.dir);
    // A file half prepared before a crash: start again.
    for (const name of await readdir(this.dir))
      if (name.endsWith('.prepared')) await rm(join(this.dir, name), { force: true });
    this.durableEnd = positionOf(this.writeFile, this.writeOffset);
    this.readFile = fileOf(this.committedCursor);
    this.readOffset = offsetOf(this.committedCursor);
    this.cursorTimer = setInterval(
      () =>
        void this.persistCursor().catch((error) =>
          this.logger?.error({ err: error }, 'ingest log: could not persist the cursor'),
        ),
      this.cursorIntervalMs,
    );
    this.cursorTimer.unref();
    this.ageTimer = setInterval(
      () => {
        if (this.writeFileSince !== undefined && Date.now() - this.writeFileSince >= this.maxFileAgeMs) this.rollNow();
      },
      Math.max(50, Math.min(10_000, Math.floor(this.maxFileAgeMs / 4))),
    );
    this.ageTimer.unref();
  }

  /**
   * Finish the write file now (when it holds records): once they are all released the file is
   * deleted and its key shredded. A deletion calls this so the deleted session's records do not
   * wait for the age roll.
   */
  rollNow(): void {
    if (this.closed) return;
    this.rollRequested = true;
    void this.appends.add(undefined).catch(() => undefined);
  }

  private keyName(file: number): string {
    return `${this.logId}-wal-${String(file).padStart(8, '0')}`;
  }

  /**
   * The log's id (created on first start) and the key of every file still to read; keys whose
   * files are gone (a crash between deleting a file and its key) are shredded now.
   */
  private async loadKeys(files: number[]): Promise<void> {
    const cipher = this.cipher!;
    const idPath = join(this.dir, LOG_ID_FILE);
    try {
      this.logId = (await readFile(idPath, 'utf8')).trim();
    } catch {
      this.logId = '';
    }
    if (!/^[a-z0-9]{8,32}$/.test(this.logId)) {
      this.logId = randomBytes(8).toString('hex');
      await writeFileSynced(idPath, `${this.logId}\n`, 'w');
      await syncDirectory(this.dir);
    }
    const firstFile = fileOf(this.committedCursor);
    for (const file of files) {
      if (file < firstFile) continue;
      if ((await cipher.load(this.keyName(file))).length === 0) this.clearFiles.set(file, Number.POSITIVE_INFINITY);
    }
    const live = new Set(files.filter((file) => file >= firstFile).map((file) => this.keyName(file)));
    const prefix = `${this.logId}-wal-`;
    for (const name of await cipher.names()) {
      if (name.startsWith(prefix) && !live.has(name) && Number(name.slice(prefix.length)) < firstFile)
        await cipher.forget(name);
    }
  }

  /** A record's payload as a LogRecord: sealed, or in clear only in a file from before encryption. */
  private decode(file: number, payload: Buffer, offset: number): LogRecord {
    if (isSealedLogRecord(payload)) {
      if (!this.cipher) throw new TypeError('an encrypted log record, and no key store to read it with');
      return unpackLogRecord(this.cipher.openSync(payload));
    }
    // Anyone who can write the file can forge a crc, not a GCM tag: a clear record where sealed
    // ones belong is damage.
    if (this.cipher && !(offset < (this.clearFiles.get(file) ?? 0)))
      throw new TypeError('a record in clear in an encrypted log file');
    return unpackLogRecord(payload);
  }

  /** For the damage scan, which has no offsets: clear records anywhere in a file from before encryption. */
  private decodeIn(file: number): DecodePayload {
    return (payload) => this.decode(file, payload, this.clearFiles.has(file) ? -1 : Number.POSITIVE_INFINITY);
  }

  private async readCursor(): Promise<number | undefined> {
    try {
      const parsed = JSON.parse(await readFile(join(this.dir, 'cursor.json'), 'utf8')) as { position?: unknown };
      return typeof parsed.position === 'number' && Number.isSafeInteger(parsed.position) ? parsed.position : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Validate one file from `start`: count its records, note damaged ranges that records follow
   * (`skips`), and say where the valid data ends when the rest is a torn tail.
   */
  private async scanFile(
    file: number,
    start: number,
  ): Promise<{ validEnd: number; records: number; torn: boolean; padded: boolean }> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.dir, fileName(file)));
    } catch {
      return { validEnd: start, records: 0, torn: false, padded: false };
    }
    let offset = start;
    let records = 0;
    while (offset < bytes.byteLength) {
      // Zeros to the end: the preallocated rest of the file, not damage.
      if (bytes[offset] === 0 && zeroFrom(bytes, offset))
        return { validEnd: offset, records, torn: false, padded: true };
      const length = validRecordAt(bytes, offset, this.maxRecordBytes, false);
      if (length > 0) {
        offset += HEADER_BYTES + length;
        records++;
        continue;
      }
      const resume = resyncOffset(bytes, offset, this.maxRecordBytes, this.decodeIn(file));
      if (resume < 0) return { validEnd: offset, records, torn: true, padded: false };
      this.logger?.error(
        { file: fileName(file), from: offset, to: resume, bytes: resume - offset },
        'ingest log: a damaged record in the middle of the log (acknowledged data); skipping only its bytes and keeping the records after it',
      );
      this.skips.set(positionOf(file, offset), positionOf(file, resume));
      offset = resume;
    }
    return { validEnd: offset, records, torn: false, padded: false };
  }

  /** Positional writes (never O_APPEND: appends overwrite a preallocated file's zeros). */
  private async openForWriting(file: number): Promise<FileHandle> {
    const path = join(this.dir, fileName(file));
    await (await open(path, 'a', 0o600)).close();
    return open(path, 'r+');
  }

  /**
   * Zero the file after the one being written, in the background, once the current one is half
   * full (a log that carries little traffic never writes megabytes of zeros), so the roll finds
   * it ready.
   */
  private prepareNext(): void {
    if (!this.preallocate || this.closed || this.preparing || this.writeOffset < this.maxFileBytes / 2) return;
    const file = this.writeFile + 1;
    const path = join(this.dir, preparedName(file));
    const size = this.maxFileBytes;
    const done = (async () => {
      const handle = await open(path, 'w', 0o600);
      try {
        for (let at = 0; at < size; at += ZEROS.byteLength)
          await handle.write(ZEROS, 0, Math.min(ZEROS.byteLength, size - at), at);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return true;
    })().catch((error: unknown) => {
      this.logger?.warn(
        { err: error, file: preparedName(file) },
        'ingest log: could not prepare the next log file; it will grow as it is written',
      );
      return false;
    });
    const preparing = { file, done, ready: false };
    void done.then(async (ok) => {
      preparing.ready = ok;
      // The log rolled past it before it was ready: it was not used.
      if (this.writeFile >= file && this.preparing !== preparing) await rm(path, { force: true });
    });
    this.preparing = preparing;
  }

  append(record: LogRecord): Promise<AppendOutcome> {
    if (this.closed)
      return Promise.reject(
        new CollectorError(
          'log_closed',
          503,
          'The ingest log is closed (the collector is shutting down); retry shortly.',
        ),
      );
    const key = this.writeKey;
    const bytes = encodeLogRecord(record, key && { cipher: this.cipher!, key });
    if (bytes.byteLength - HEADER_BYTES > this.maxRecordBytes) {
      return Promise.reject(
        new CollectorError(
          'too_large',
          413,
          `The batch makes a ${bytes.byteLength}-byte log record; the limit is ${this.maxRecordBytes}. Send smaller batches.`,
        ),
      );
    }
    return this.appends.add({ bytes, record, key }).then(() => 'appended' as const);
  }

  /** One group at the end of the write file, made durable; then its records count as durable. */
  private async writeGroup(pending: Array<PendingAppend | undefined>): Promise<void> {
    const group = pending.filter((item): item is PendingAppend => item !== undefined);
    if (group.length === 0) return;
    for (const item of group) {
      if (item.key === this.writeKey) continue;
      // Sealed under the previous file's key (the log rolled in between): that key is shredded
      // with its file, so the record takes this file's.
      item.key = this.writeKey;
      item.bytes = encodeLogRecord(item.record, item.key && { cipher: this.cipher!, key: item.key });
    }
    const buffer = group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((item) => item.bytes));
    await this.writeDurably(buffer);
    this.writeFileSince ??= Date.now();
    let at = this.writeOffset;
    for (const item of group) {
      this.remember(positionOf(this.writeFile, at), item.record, item.bytes.byteLength - HEADER_BYTES);
      at += item.bytes.byteLength;
    }
    this.writeOffset += buffer.byteLength;
    this.durableEnd = positionOf(this.writeFile, this.writeOffset);
    this.appendedCount += group.length;
  }

  /**
   * Write `buffer` at the write offset and make it durable, retrying a failed attempt (a full
   * disk that an operator or the retention sweep frees, an I/O error) after reopening the file:
   * a transient error costs the waiting appends a delay, not the log until a restart. Each
   * attempt writes the whole buffer again at the same offset, so a partial write is overwritten.
   */
  private async writeDurably(buffer: Buffer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!this.writeHandle) this.writeHandle = await this.openForWriting(this.writeFile);
        const handle = this.writeHandle;
        if (this.syncWriter) {
          await this.syncWriter.writeAndSync(handle, buffer, this.writeOffset);
        } else {
          let written = 0;
          while (written < buffer.byteLength) {
            const { bytesWritten } = await handle.write(
              buffer,
              written,
              buffer.byteLength - written,
              this.writeOffset + written,
            );
            written += bytesWritten;
          }
          await handle.datasync();
        }
        return;
      } catch (error) {
        // A failed fdatasync may have dropped the dirty pages it could not write: a fresh handle
        // and a full rewrite, never a second fdatasync of the same handle, is what counts.
        const handle = this.writeHandle;
        this.writeHandle = undefined;
        await handle?.close().catch(() => undefined);
        if (this.closed || attempt >= WRITE_ATTEMPTS) throw error;
        this.onWriteRetry?.();
        this.logger?.warn({ err: error, attempt }, 'ingest log: write failed; reopening the file and retrying');
        await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
  }

  /** Keep a durable record for the writer, unless the writer is so far behind that the cache is full. */
  private remember(position: number, record: LogRecord, length: number): void {
    if (this.cachedBytes + length > this.maxCachedBytes) return;
    // Without the wire bytes: the writer needs the decoded batch only, and holding ~10 KB of
    // off-heap memory per batch in open segments (seconds) makes V8 collect more often.
    const { wire: _wire, ...decoded } = record;
    this.cached.push({ position, record: decoded, length });
    this.cachedBytes += length;
  }

  /** The cached record at `position`, dropping any the reader has passed (read from disk instead). */
  private takeCached(position: number): CachedRecord | undefined {
    while (this.cachedHead < this.cached.length) {
      const head = this.cached[this.cachedHead]!;
      if (head.position > position) return undefined;
      this.cached[this.cachedHead++] = undefined as unknown as CachedRecord;
      this.cachedBytes -= head.length;
      if (this.cachedHead > 1024 && this.cachedHead * 2 > this.cached.length) {
        this.cached = this.cached.slice(this.cachedHead);
        this.cachedHead = 0;
      }
      if (head.position === position) return head;
    }
    return undefined;
  }

  private async roll(): Promise<void> {
    // First, so that a key store that fails leaves the log writing on where it was.
    const nextKey = this.cipher ? await this.cipher.create(this.keyName(this.writeFile + 1)) : undefined;
    // A finished file ends at its last record: readers take its size as its end.
    await this.writeHandle!.truncate(this.writeOffset);
    await this.writeHandle!.sync();
    await this.writeHandle!.close();
    this.finishedEnds.set(this.writeFile, this.writeOffset);
    this.writeFile++;
    this.writeOffset = 0;
    this.writeKey = nextKey;
    this.writeFileSince = undefined;
    // Only a file already prepared: waiting for the zeros would hold up every ack behind them.
    const prepared = this.preparing?.file === this.writeFile && this.preparing.ready;
    this.preparing = undefined;
    if (prepared) await rename(join(this.dir, preparedName(this.writeFile)), join(this.dir, fileName(this.writeFile)));
    this.writeHandle = await this.openForWriting(this.writeFile);
    await syncDirectory(this.dir);
    this.durableEnd = positionOf(this.writeFile, 0);
  }

  private wakeReaders(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private hasUnread(): boolean {
    return positionOf(this.readFile, this.readOffset) < this.durableEnd;
  }

  async read(max: number, waitMs: number): Promise<LogEntry[]> {
    if (!this.hasUnread() && waitMs > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const entries: LogEntry[] = [];
    while (entries.length < max && this.hasUnread()) {
      if (this.readOffset >= this.fileEnd(this.readFile)) {
        // The rest of this file was consumed: move to the next.
        this.readFile++;
        this.readOffset = 0;
        continue;
      }
      const position = positionOf(this.readFile, this.readOffset);
      const skipTo = this.skips.get(position);
      if (skipTo !== undefined) {
        this.skips.delete(position);
        this.readOffset = offsetOf(skipTo);
        continue;
      }
      const cached = this.takeCached(position);
      const entry = cached
        ? { position, record: cached.record, bytes: cached.length }
        : await this.readRecordAt(this.readFile, this.readOffset);
      if (!entry) {
        await this.skipDamage(this.readFile, this.readOffset);
        continue;
      }
      this.outstanding.set(entry.position, true);
      this.readOffset += HEADER_BYTES + entry.bytes;
      entries.push(entry);
    }
    // Nothing held: the cursor follows the reader, also past a file that rolled with every
    // record released, so that file (and its key) can go without waiting for another record.
    if (this.outstanding.size === 0) this.committedCursor = positionOf(this.readFile, this.readOffset);
    return entries;
  }

  /**
   * A record that passed the scan at open (or was written since) no longer reads back: the disk
   * changed under us. Resume at the next offset from which records chain to the end of what is
   * durable in that file, or at the next file; never give up the rest of the file silently.
   */
  private async skipDamage(file: number, offset: number): Promise<void> {
    let bytes: Buffer | undefined;
    try {
      const handle = await open(join(this.dir, fileName(file)), 'r');
      try {
        const end = Math.min(this.fileEnd(file), (await handle.stat()).size);
        bytes = Buffer.alloc(Math.max(0, end - offset));
        await handle.read(bytes, 0, bytes.byteLength, offset);
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.logger?.error({ err: error, file: fileName(file) }, 'ingest log: cannot read a log file back');
    }
    const resume = bytes ? resyncOffset(bytes, 0, this.maxRecordBytes, this.decodeIn(file)) : -1;
    this.readBuffer = Buffer.alloc(0);
    if (resume > 0) {
      this.logger?.error(
        { file: fileName(file), from: offset, to: offset + resume },
        'ingest log: a record no longer reads back (disk damage); skipping its bytes and keeping the records after it',
      );
      this.readOffset = offset + resume;
    } else if (file < this.writeFile) {
      this.logger?.error(
        { file: fileName(file), from: offset },
        'ingest log: the rest of a finished log file no longer reads back (disk damage); moving to the next file',
      );
      this.readFile = file + 1;
      this.readOffset = 0;
    } else {
      // The file being written: nothing valid follows up to the durable end. Wait for more.
      this.logger?.error(
        { file: fileName(file), from: offset },
        'ingest log: a record being read is damaged and nothing valid follows it yet',
      );
      this.readOffset = this.writeOffset;
    }
  }

  private fileEnd(file: number): number {
    return file === this.writeFile
      ? this.writeOffset
      : file < this.writeFile
        ? (this.finishedEnds.get(file) ?? Number.POSITIVE_INFINITY)
        : 0;
  }

  /** Reads through a chunk buffer: the writer reads sequentially, mostly from the page cache. */
  private async readRecordAt(file: number, offset: number): Promise<(LogEntry & { bytes: number }) | undefined> {
    const header = await this.readBytes(file, offset, HEADER_BYTES);
    if (!header) return undefined;
    const length = header.readUInt32LE(0);
    // Bounded before anything is allocated: a damaged length must not ask for gigabytes.
    if (length === 0 || length > this.maxRecordBytes) return undefined;
    const payload = await this.readBytes(file, offset + HEADER_BYTES, length);
    if (!payload || crc32(payload) !== header.readUInt32LE(4)) return undefined;
    let record: LogRecord;
    try {
      record = this.decode(file, payload, offset);
    } catch {
      return undefined;
    }
    return { position: positionOf(file, offset), record, bytes: length };
  }

  private async readBytes(file: number, offset: number, length: number): Promise<Buffer | undefined> {
    const inBuffer =
      file === this.readHandleFile &&
      offset >= this.readBufferStart &&
      offset + length <= this.readBufferStart + this.readBuffer.byteLength;
    if (!inBuffer) {
      if (file !== this.readHandleFile || !this.readHandle) {
        await this.readHandle?.close();
        try {
          this.readHandle = await open(join(this.dir, fileName(file)), 'r');
          this.readHandleSize = (await this.readHandle.stat()).size;
        } catch {
          this.readHandle = undefined;
          return undefined;
        }
        this.readHandleFile = file;
      }
      // A file opened while it was being written has changed since, up to its roll.
      if (file !== this.writeFile && offset + length > this.readHandleSize)
        this.readHandleSize = (await this.readHandle.stat()).size;
      // Never buffer past the durable end of the file being written (those bytes may still
      // change), nor past a finished file's data.
      const end = Math.min(
        this.fileEnd(file),
        file === this.writeFile ? Number.POSITIVE_INFINITY : this.readHandleSize,
      );
      if (offset + length > end) return undefined;
      const size = Math.max(length, Math.min(READ_CHUNK_BYTES, end - offset));
      const buffer = Buffer.allocUnsafe(size);
      const { bytesRead } = await this.readHandle.read(buffer, 0, size, offset);
      this.readBuffer = buffer.subarray(0, bytesRead);
      this.readBufferStart = offset;
      if (bytesRead < length) return undefined;
    }
    const start = offset - this.readBufferStart;
    return this.readBuffer.subarray(start, start + length);
  }

  async release(entries: readonly LogEntry[]): Promise<void> {
    for (const entry of entries) {
      if (this.outstanding.delete(entry.position)) this.releasedCount++;
    }
    const first = this.outstanding.keys().next();
    this.committedCursor = first.done ? positionOf(this.readFile, this.readOffset) : first.value;
  }

  /** Write the cursor (atomically) and delete files wholly before it. */
  private async persistCursor(): Promise<void> {
    const cursor = this.committedCursor;
    if (cursor === this.persistedCursor) return;
    const temp = join(this.dir, 'cursor.json.tmp');
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(
        JSON.stringify({ position: cursor, file: fileName(fileOf(cursor)), offset: offsetOf(cursor) }),
      );
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(this.dir, 'cursor.json'));
    this.persistedCursor = cursor;
    for (const name of await readdir(this.dir)) {
      const match = /^wal-(\d{8})\.log$/.exec(name);
      if (match && Number(match[1]) < fileOf(cursor)) {
        await rm(join(this.dir, name), { force: true });
        this.finishedEnds.delete(Number(match[1]));
        this.clearFiles.delete(Number(match[1]));
        // Shredded after the file: a crash in between leaves a key without a file, which the
        // next open shreds; the other order could leave records that no key opens.
        await this.cipher?.forget(this.keyName(Number(match[1])));
      }
    }
  }

  lag(): number {
    return Math.max(0, this.appendedCount - this.releasedCount);
  }

  /** Stop accepting appends, finish the group in flight, persist the cursor. */
  async close(): Promise<void> {
    this.closed = true;
    await this.appends.settled();
    if (this.cursorTimer) clearInterval(this.cursorTimer);
    if (this.ageTimer) clearInterval(this.ageTimer);
    this.wakeReaders();
    await this.persistCursor().catch((error) =>
      this.logger?.error({ err: error }, 'ingest log: could not persist the cursor on close'),
    );
    await this.preparing?.done;
    await this.syncWriter?.stop();
    this.syncWriter = undefined;
    await this.readHandle?.close();
    await this.writeHandle?.close();
    this.readHandle = undefined;
    this.writeHandle = undefined;
  }
}
