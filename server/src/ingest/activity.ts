/**
 * Requests being answered at once from which ingest counts as saturated. By Little's law the
 * number in flight is the rate times the time each takes, so 16 means, say, 1,000 batches/s taking
 * 16 ms each: a collector that keeps up answers in 1-3 ms at that rate (the collector bench's
 * steady run), so it does not give way, and its writer keeps storing in small steps beside ingest.
 */
export const SATURATED_REQUESTS = 16;

/**
 * How many ingest requests are being answered at this moment. The writer reads it to give way
 * while ingest is saturated: a browser waits for each acknowledgement (and at `pagehide` may not
 * wait long), while what the writer does next (segments, compression, the object store) can wait
 * in the durable log. See `WriterOptions.maxYieldMs`.
 */
export class IngestActivity {
  private inFlight = 0;

  constructor(private readonly saturatedAt = SATURATED_REQUESTS) {}

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    this.inFlight--;
  }

  /** Requests being answered now. */
  get answering(): number {
    return this.inFlight;
  }

  /** Whether ingest is saturated: `saturatedAt` requests or more are being answered. */
  get saturated(): boolean {
    return this.inFlight >= this.saturatedAt;
  }
}
