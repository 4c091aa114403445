/**
 * Memory that batches in flight may take together: a request's body, its decompressed bytes and
 * its decoded values stay alive from decoding until the log has made the batch durable, and
 * twenty 8 MB batches of empty maps decoding at once once took the process past its heap. Each
 * request reserves an estimate before it allocates; what does not fit is answered 503 with
 * Retry-After (the recorder retries), never an out-of-memory abort.
 */
export class MemoryBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  /**
   * Reserve `bytes`; false (and nothing reserved) when they do not fit beside what is in use. A
   * request larger than the whole budget is let in when nothing else is: it would otherwise be
   * answered 503 forever. `held`: what the same request reserved before (it is not "else").
   */
  tryReserve(bytes: number, held = 0): boolean {
    if (this.used - held > 0 && this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get inUse(): number {
    return this.used;
  }
}

/**
 * Bytes a decoded value takes in V8, on average over what a batch can hold: an empty object is
 * ~56 bytes with its slot in the parent, a small integer or a string header a fraction of it. An
 * estimate for the budget only; measured ~1 GB for 8 million empty maps.
 */
export const DECODED_VALUE_BYTES = 128;
