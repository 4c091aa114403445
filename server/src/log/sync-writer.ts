import { Worker } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';

/**
 * Writes and fdatasyncs log groups on a thread of its own.
 *
 * Through fs/promises, each write and fdatasync waits for a thread of libuv's shared pool, which
 * the writer keeps busy with segment gzip, object-store writes and their fsyncs: under load an
 * acknowledgement's write of ~100 KB to the page cache waited 10-200 ms in that queue. This
 * worker does nothing but `writeSync` + `fdatasyncSync` on the log's descriptor, so the ack path
 * never queues behind the store. The worker's code is inline (plain JavaScript, `eval`), so it
 * runs the same from the TypeScript sources and from dist/.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writeSync, fdatasyncSync } = require('node:fs');
parentPort.on('message', ({ id, fd, buffer, position }) => {
  try {
    const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written, position + written);
    fdatasyncSync(fd);
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code } });
  }
});
`;

export class SyncWriter {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  /** Starts the thread; false when this platform cannot (the caller then uses the FileHandle). */
  start(): boolean {
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on('message', ({ id, error }: { id: number; error?: { message: string; code?: string } }) => {
        const waiter = this.waiting.get(id);
        if (!waiter) return;
        this.waiting.delete(id);
        if (error) waiter.reject(Object.assign(new Error(error.message), { code: error.code }));
        else waiter.resolve();
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', () => this.failAll(new Error('the log writer thread exited')));
      this.worker = worker;
      return true;
    } catch {
      return false;
    }
  }

  /** Write `buffer` at `position` and fdatasync; resolves once both are done. */
  writeAndSync(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('the log writer thread is not running'));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Keep the process alive while a write is in flight; idle, the thread does not.
      worker.ref();
      worker.postMessage({ id, fd: handle.fd, buffer, position });
    }).finally(() => {
      if (this.waiting.size === 0) worker.unref();
    });
  }

  private failAll(error: Error): void {
    this.worker = undefined;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
