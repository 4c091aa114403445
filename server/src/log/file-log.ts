import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import type { Logger } from 'pino';
import { CollectorError, errorMessage } from '../errors.js';
import { syncDirectory } from '../store/folder-store.js';
import type { AppendOutcome, IngestLog, LogEntry, LogRecord } from './types.js';

/**
 * The embedded append-only log (the default spool).
 *
 * Files `wal-NNNNNNNN.log` in one folder, each a run of records:
 *   u32 LE payload length | u32 LE crc32(payload) | payload (msgpack LogRecord)
 * A position is `fileNumber * 2^32 + byteOffset` of a record's first byte.
 *
 * Appends are group-committed: every append waiting while one write + fdatasync is in progress
 * goes out in the next single write + fdatasync, and each promise resolves only after the
 * fdatasync that covers it. `cursor.json` remembers the first position not yet released; after a
 * crash, everything from there is handed out again, and a torn record at the tail (a write that
 * never got its fsync, so was never acknowledged) is cut off.
 */
export interface FileLogOptions {
  dir: string;
  /** Roll to a new file past this size. @default 64 MiB */
  maxFileBytes?: number;
  /** How often the release cursor is persisted. @default 1000 */
  cursorIntervalMs?: number;
  logger?: Logger;
}

const HEADER_BYTES = 8;
const FILE_SPAN = 2 ** 32;
/** A record longer than this is corruption, not data (the decompressed batch limit is far below). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

const packr = new Packr({ useRecords: false, moreTypes: false });

const fileName = (n: number) => `wal-${String(n).padStart(8, '0')}.log`;
const positionOf = (file: number, offset: number) => file * FILE_SPAN + offset;
const fileOf = (position: number) => Math.floor(position / FILE_SPAN);
const offsetOf = (position: number) => position % FILE_SPAN;

interface PendingAppend {
  bytes: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

export function encodeLogRecord(record: LogRecord): Buffer {
  const payload = packr.pack(record);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(payload.byteLength, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export class FileIngestLog implements IngestLog {
  readonly description: string;
  private readonly dir: string;
  private readonly maxFileBytes: number;
  private readonly cursorIntervalMs: number;
  private readonly logger: Logger | undefined;

  private writeHandle: FileHandle | undefined;
  private writeFile = 1;
  private writeOffset = 0;
  /** Everything before this position is on disk and fsynced. */
  private durableEnd = 0;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;

  private readFile = 1;
  private readOffset = 0;
  private readHandle: FileHandle | undefined;
  private readHandleFile = 0;
  private readBuffer = Buffer.alloc(0);
  private readBufferStart = 0;

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
    this.logger = options.logger;
    this.description = `file:${options.dir}`;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const files = (await readdir(this.dir)).map((name) => /^wal-(\d{8})\.log$/.exec(name)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
    const cursor = await this.readCursor();
    this.committedCursor = cursor ?? (files.length > 0 ? positionOf(files[0]!, 0) : positionOf(1, 0));
    // Scan from the cursor to the end: count what is left and cut a torn tail.
    let lastFile = files.length > 0 ? files[files.length - 1]! : fileOf(this.committedCursor);
    let endOffset = 0;
    for (const file of files) {
      if (file < fileOf(this.committedCursor)) continue;
      const start = file === fileOf(this.committedCursor) ? offsetOf(this.committedCursor) : 0;
      const { validEnd, records, torn } = await this.scanFile(file, start);
      this.appendedCount += records;
      if (torn) {
        if (file === lastFile) {
          this.logger?.warn({ file: fileName(file), offset: validEnd }, 'ingest log: cutting a torn record at the tail (it was never acknowledged)');
          const handle = await open(join(this.dir, fileName(file)), 'r+');
          await handle.truncate(validEnd);
          await handle.sync();
          await handle.close();
        } else {
          this.logger?.error({ file: fileName(file), offset: validEnd }, 'ingest log: a corrupt record in the middle of the log; records after it in this file are skipped');
        }
      }
      if (file === lastFile) endOffset = validEnd;
    }
    if (files.length === 0) lastFile = Math.max(1, fileOf(this.committedCursor));
    this.writeFile = lastFile;
    this.writeOffset = endOffset;
    this.writeHandle = await open(join(this.dir, fileName(this.writeFile)), 'a', 0o600);
    if (files.length === 0) await syncDirectory(this.dir);
    this.durableEnd = positionOf(this.writeFile, this.writeOffset);
    this.readFile = fileOf(this.committedCursor);
    this.readOffset = offsetOf(this.committedCursor);
    this.cursorTimer = setInterval(() => void this.persistCursor().catch((error) => this.logger?.error({ err: error }, 'ingest log: could not persist the cursor')), this.cursorIntervalMs);
    this.cursorTimer.unref();
  }

  private async readCursor(): Promise<number | undefined> {
    try {
      const parsed = JSON.parse(await readFile(join(this.dir, 'cursor.json'), 'utf8')) as { position?: unknown };
      return typeof parsed.position === 'number' && Number.isSafeInteger(parsed.position) ? parsed.position : undefined;
    } catch {
      return undefined;
    }
  }

  private async scanFile(file: number, start: number): Promise<{ validEnd: number; records: number; torn: boolean }> {
    let handle: FileHandle;
    try {
      handle = await open(join(this.dir, fileName(file)), 'r');
    } catch {
      return { validEnd: start, records: 0, torn: false };
    }
    try {
      const size = (await handle.stat()).size;
      let offset = start;
      let records = 0;
      const header = Buffer.alloc(HEADER_BYTES);
      while (offset < size) {
        if (size - offset < HEADER_BYTES) return { validEnd: offset, records, torn: true };
        await handle.read(header, 0, HEADER_BYTES, offset);
        const length = header.readUInt32LE(0);
        if (length > MAX_RECORD_BYTES || offset + HEADER_BYTES + length > size) return { validEnd: offset, records, torn: true };
        const payload = Buffer.alloc(length);
        await handle.read(payload, 0, length, offset + HEADER_BYTES);
        if (crc32(payload) !== header.readUInt32LE(4)) return { validEnd: offset, records, torn: true };
        offset += HEADER_BYTES + length;
        records++;
      }
      return { validEnd: offset, records, torn: false };
    } finally {
      await handle.close();
    }
  }

  append(record: LogRecord): Promise<AppendOutcome> {
    if (this.closed || !this.writeHandle) return Promise.reject(new CollectorError('log_closed', 503, 'The ingest log is closed (the collector is shutting down); retry shortly.'));
    const bytes = encodeLogRecord(record);
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.pending.push({ bytes, resolve: () => resolve('appended'), reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Group commit: one write + one fdatasync for everything queued meanwhile. */
  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          const handle = this.writeHandle!;
          const buffer = group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((item) => item.bytes));
          let written = 0;
          while (written < buffer.byteLength) {
            const { bytesWritten } = await handle.write(buffer, written, buffer.byteLength - written);
            written += bytesWritten;
          }
          await handle.datasync();
          this.writeOffset += buffer.byteLength;
          this.durableEnd = positionOf(this.writeFile, this.writeOffset);
          this.appendedCount += group.length;
          for (const item of group) item.resolve();
          this.wakeReaders();
          if (this.writeOffset >= this.maxFileBytes) await this.roll();
        } catch (error) {
          const failure = new CollectorError('log_write_failed', 503, `Could not append to the ingest log in ${this.dir}: ${errorMessage(error)}. Nothing was acknowledged; retry.`, { cause: error });
          for (const item of group) item.reject(failure);
          // A failed write may have left a partial record: the next open cuts it. Refuse further appends.
          this.closed = true;
          this.logger?.error({ err: error }, 'ingest log: write failed; refusing appends until restart');
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async roll(): Promise<void> {
    await this.writeHandle!.close();
    this.writeFile++;
    this.writeOffset = 0;
    this.writeHandle = await open(join(this.dir, fileName(this.writeFile)), 'a', 0o600);
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
      const entry = await this.readRecordAt(this.readFile, this.readOffset);
      if (!entry) {
        // Unreadable record in a finished file: skip the rest of that file.
        this.readFile++;
        this.readOffset = 0;
        continue;
      }
      this.outstanding.set(entry.position, true);
      this.readOffset += HEADER_BYTES + entry.bytes;
      entries.push(entry);
    }
    return entries;
  }

  private fileEnd(file: number): number {
    return file === this.writeFile ? this.writeOffset : file < this.writeFile ? Number.POSITIVE_INFINITY : 0;
  }

  /** Reads through a chunk buffer: the writer reads sequentially, mostly from the page cache. */
  private async readRecordAt(file: number, offset: number): Promise<(LogEntry & { bytes: number }) | undefined> {
    const header = await this.readBytes(file, offset, HEADER_BYTES);
    if (!header) return undefined;
    const length = header.readUInt32LE(0);
    if (length > MAX_RECORD_BYTES) return undefined;
    const payload = await this.readBytes(file, offset + HEADER_BYTES, length);
    if (!payload || crc32(payload) !== header.readUInt32LE(4)) return undefined;
    let record: LogRecord;
    try {
      record = packr.unpack(payload) as LogRecord;
    } catch {
      return undefined;
    }
    return { position: positionOf(file, offset), record, bytes: length };
  }

  private async readBytes(file: number, offset: number, length: number): Promise<Buffer | undefined> {
    const inBuffer = file === this.readHandleFile && offset >= this.readBufferStart && offset + length <= this.readBufferStart + this.readBuffer.byteLength;
    if (!inBuffer) {
      if (file !== this.readHandleFile || !this.readHandle) {
        await this.readHandle?.close();
        try {
          this.readHandle = await open(join(this.dir, fileName(file)), 'r');
        } catch {
          this.readHandle = undefined;
          return undefined;
        }
        this.readHandleFile = file;
      }
      // Never buffer past the durable end of the file being written: those bytes may still change.
      const size = Math.max(length, Math.min(READ_CHUNK_BYTES, this.fileEnd(file) - offset));
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
      await handle.writeFile(JSON.stringify({ position: cursor, file: fileName(fileOf(cursor)), offset: offsetOf(cursor) }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(this.dir, 'cursor.json'));
    this.persistedCursor = cursor;
    for (const name of await readdir(this.dir)) {
      const match = /^wal-(\d{8})\.log$/.exec(name);
      if (match && Number(match[1]) < fileOf(cursor)) await rm(join(this.dir, name), { force: true });
    }
  }

  lag(): number {
    return Math.max(0, this.appendedCount - this.releasedCount);
  }

  /** Stop accepting appends, finish the group in flight, persist the cursor. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    if (this.cursorTimer) clearInterval(this.cursorTimer);
    this.wakeReaders();
    await this.persistCursor().catch((error) => this.logger?.error({ err: error }, 'ingest log: could not persist the cursor on close'));
    await this.readHandle?.close();
    await this.writeHandle?.close();
    this.readHandle = undefined;
    this.writeHandle = undefined;
  }
}
