/**
 * Every complete segment the playback streams delivered, as the lines it came in, gzip-compressed
 * by the browser (CompressionStream): about a twentieth of the text, in array buffers, apart from
 * the JavaScript heap's objects. What the event store frees to keep memory to the moment shown
 * comes back from here without the network: decompressing and parsing a few minutes of recording
 * costs tens of milliseconds, fetching a window from the collector a few hundred. (Blobs cost
 * more: reading one back through its stream took ~2 ms a segment in Chromium.)
 */
interface ArchivedSegment {
  start: number;
  end: number;
  /** Times of the Meta events in it: a frame can be rebuilt from each. */
  pageLoads: number[];
  /** Its first line, the collector's `segment` record. */
  record: string;
  data: Promise<Uint8Array<ArrayBuffer> | undefined>;
  /** Its lines, until they are compressed: given back as they are meanwhile. */
  lines?: string[] | undefined;
}

/** A segment's lines, gathered as a stream delivers them. */
export interface SegmentLines {
  index: number;
  start: number;
  end: number;
  lines: string[];
  pageLoads: number[];
}

const compresses = typeof CompressionStream === 'function' && typeof DecompressionStream === 'function';

/** `input` through a compression or decompression stream, written and read directly. */
async function transform(
  stream: CompressionStream | DecompressionStream,
  input: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const writer = stream.writable.getWriter();
  // A failure also fails the reads below, which report it.
  writer.write(input).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Segments waiting to be compressed, one per task. */
interface Pending {
  lines: string[];
  done: (bytes: Uint8Array<ArrayBuffer> | undefined) => void;
}

export class SegmentArchive {
  private readonly segments = new Map<number, ArchivedSegment>();
  private readonly pending: Pending[] = [];
  private draining = false;
  private started = false;
  /** Bytes held (compressed when the browser can). */
  bytes = 0;

  /**
   * Compression waits for `start` (the player's first frame): joining, encoding and compressing
   * each segment took a quarter of the replay frame's script time before a long session's first
   * frame (CPU profile). Then one segment per task, so that no task grows long. (Waiting for idle
   * moments instead left most of a 2-hour session uncompressed after it had loaded: 30 MB of heap.)
   */
  constructor(start: Promise<unknown> = Promise.resolve()) {
    void start.then(() => {
      this.started = true;
      this.drain();
    });
  }

  has(index: number): boolean {
    return this.segments.has(index);
  }

  /** Keep a segment that was delivered whole. The first complete copy wins. */
  add({ index, start, end, lines, pageLoads }: SegmentLines): void {
    if (this.segments.has(index)) return;
    const data = new Promise<Uint8Array<ArrayBuffer> | undefined>((done) => this.pending.push({ lines, done })).then(
      (bytes) => {
        if (bytes) this.bytes += bytes.length;
        // Not kept after all: the collector brings it again.
        else this.segments.delete(index);
        return bytes;
      },
    );
    // A line is a slice of the chunk of text it was read from, which it would keep alive: copied.
    const record = JSON.parse(JSON.stringify(lines[0]!)) as string;
    const segment: ArchivedSegment = { start, end, pageLoads, record, data, lines };
    this.segments.set(index, segment);
    void data.then(() => (segment.lines = undefined));
    this.drain();
  }

  private drain(): void {
    if (!this.started || this.draining) return;
    const next = this.pending.shift();
    if (!next) return;
    this.draining = true;
    setTimeout(() => {
      const text = new TextEncoder().encode(`${next.lines.join('\n')}\n`);
      (compresses ? transform(new CompressionStream('gzip'), text) : Promise.resolve(text))
        .then(next.done, () => next.done(undefined))
        .finally(() => {
          this.draining = false;
          this.drain();
        });
    }, 0);
  }

  /**
   * The archived segments (indexes, in order) that rebuild the frame at `at` (epoch ms) and play on
   * to `until`: from the last one holding a page load at or before `at` through the last starting
   * by `until`, with no index missing between them. Undefined when the archive cannot supply them.
   */
  plan(at: number, until: number): number[] | undefined {
    let first: number | undefined;
    let firstLoad = -Infinity;
    for (const [index, segment] of this.segments) {
      for (const load of segment.pageLoads) {
        if (load <= at && load >= firstLoad) {
          firstLoad = load;
          first = index;
        }
      }
    }
    if (first === undefined) return undefined;
    const plan: number[] = [];
    let reaches = -Infinity;
    for (let index = first; ; index++) {
      const segment = this.segments.get(index);
      if (!segment) break;
      if (segment.start > until && plan.length > 0) break;
      plan.push(index);
      reaches = Math.max(reaches, segment.end);
    }
    return reaches >= at ? plan : undefined;
  }

  /**
   * A playback-stream response made of the planned segments' lines, as they were delivered, each
   * decompressed as the reader reaches it. Of a segment the store still `holds`, only its record:
   * the stream must say where it lies (the stretch it loads runs on across it), and its events
   * would be dropped.
   */
  response(plan: readonly number[], holds: (index: number) => boolean = () => false): Response {
    const encoder = new TextEncoder();
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (next === plan.length) return controller.close();
        const index = plan[next++]!;
        const segment = this.segments.get(index)!;
        if (holds(index)) return controller.enqueue(encoder.encode(`${segment.record}\n`));
        if (segment.lines) return controller.enqueue(encoder.encode(`${segment.lines.join('\n')}\n`));
        const bytes = await segment.data;
        if (!bytes) throw new Error(`segment ${index} could not be archived`);
        controller.enqueue(compresses ? await transform(new DecompressionStream('gzip'), bytes) : bytes);
      },
    });
    return new Response(body);
  }
}
