import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { type Batch, DEFAULT_MAX_DECOMPRESSED_BYTES, ProtocolError, decodeBatchFrame } from '@reprise/protocol';

/**
 * A loopback fake collector speaking `POST /v1/ingest` (DESIGN.md step 4, minus storage): decodes
 * each body with @reprise/protocol, keeps one copy per (session, tab, seq, part) like the real
 * collector (a repeat with other content is a 409), answers 202, and can be told to be down,
 * fail, delay, 429 or 413.
 */
export interface IngestBehaviour {
  /** Drop every connection without an answer (a collector that is down or unreachable). */
  down?: boolean;
  /** Answer every ingest with this status (e.g. 500, 400). */
  failWith?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer the next `count` ingests with 429 and `Retry-After: retryAfterSeconds`. */
  tooManyRequests?: { count: number; retryAfterSeconds: number };
  /** Answer 413 to bodies larger than this (default: the protocol's decompressed limit, 8 MiB). */
  maxBodyBytes?: number;
  /**
   * Refuse every CORS preflight (403, no CORS headers), like a proxy that only forwards POST: a
   * cross-origin `fetch` with the batch content type then fails, while a `sendBeacon` of a
   * text/plain Blob (a "simple" request, no preflight) still arrives.
   */
  refusePreflight?: boolean;
}

export interface IngestRequest {
  at: number;
  status: number;
  bytes: number;
  contentType: string;
  /** The frame's codec id (PROTOCOL.md, "Codecs"), once the body was read. */
  codec?: number;
  seq?: number;
  part?: string;
}

export interface ReceivedBatch {
  batch: Batch;
  bytes: number;
  at: number;
}

export interface IngestServer {
  url: string;
  /** Stored batches, one per (session, tab, seq, part), in arrival order. */
  batches: ReceivedBatch[];
  /** Every POST, answered or not. */
  requests: IngestRequest[];
  /** Bodies that repeated a stored (session, tab, seq, part). */
  duplicates: number;
  /** Repeats whose batch differed from the stored one (answered 409, like the real collector). */
  conflicts: number;
  /** Requests whose connection was dropped without an answer while `down` (not in `requests`). */
  unanswered: number;
  behaviour: IngestBehaviour;
  set(behaviour: IngestBehaviour): void;
  /** Resolve once `predicate` holds (polled), or reject after `timeoutMs`. */
  waitFor(predicate: (server: IngestServer) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Events of a session, batches sorted by seq then part. */
  eventsOf(session: string): Batch['events'];
  reset(): void;
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-expose-headers': 'retry-after',
  'access-control-max-age': '600',
};

export const batchOrder = (a: Batch, b: Batch): number => a.seq - b.seq || ((a.part ?? '') < (b.part ?? '') ? -1 : 1);

export async function startIngestServer(initial: IngestBehaviour = {}): Promise<IngestServer> {
  const sockets = new Set<Socket>();
  /** (session, tab, seq, part) -> digest of the decoded batch. */
  const stored = new Map<string, string>();
  let tooManyLeft = 0;
  const state: IngestServer = {
    url: '',
    batches: [],
    requests: [],
    duplicates: 0,
    conflicts: 0,
    unanswered: 0,
    behaviour: {},
    set(behaviour) {
      state.behaviour = behaviour;
      tooManyLeft = behaviour.tooManyRequests?.count ?? 0;
    },
    async waitFor(predicate, timeoutMs = 15_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(state)) {
        if (Date.now() > deadline)
          throw new Error(
            `ingest server: timed out after ${timeoutMs} ms waiting for ${what} (${state.batches.length} batches, ${state.requests.length} requests)\n${describe()}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    eventsOf(session) {
      return state.batches
        .map((item) => item.batch)
        .filter((batch) => batch.session === session)
        .sort(batchOrder)
        .flatMap((batch) => batch.events);
    },
    reset() {
      state.batches = [];
      state.requests = [];
      state.duplicates = 0;
      state.conflicts = 0;
      state.unanswered = 0;
      stored.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  state.set(initial);

  const countTypes = (events: Batch['events']): string => {
    const counts = new Map<number, number>();
    for (const event of events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
    return [...counts].map(([type, count]) => `type ${type} × ${count}`).join(', ');
  };
  /** What arrived, for a timeout's message: a failure that happens one run in many is read from it alone. */
  const describe = (): string => {
    const started = state.requests[0]?.at ?? 0;
    const batches = state.batches.map(
      ({ batch, at }) =>
        `  +${at - started} ms stored ${batch.session.slice(0, 8)} tab ${batch.tab.slice(0, 8)} seq ${batch.seq}${batch.part ? ` part ${batch.part}` : ''}: ${batch.events.length} events (${countTypes(batch.events)})`,
    );
    const requests = state.requests.map(
      (request) =>
        `  +${request.at - started} ms ${request.status} seq ${request.seq ?? '?'}${request.part ? ` part ${request.part}` : ''}`,
    );
    return [...batches, ...requests].join('\n');
  };

  const answer = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { ...CORS, 'content-type': 'text/plain', ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const behaviour = state.behaviour;
    if (behaviour.down) {
      if (req.method === 'POST') state.unanswered++;
      req.socket.destroy();
      return;
    }
    if (req.method === 'OPTIONS') {
      if (behaviour.refusePreflight) {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('preflight refused');
        return;
      }
      return answer(res, 204, '');
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'POST' || url.pathname !== '/v1/ingest') return answer(res, 404, 'not found');
    // Keep at most maxBodyBytes of a body: a larger one is only counted (drained), then refused,
    // so a runaway client cannot grow this process's memory without bound.
    const maxBodyBytes = behaviour.maxBodyBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of req) {
      received += (chunk as Buffer).byteLength;
      if (received <= maxBodyBytes) chunks.push(chunk as Buffer);
    }
    const log: IngestRequest = {
      at: Date.now(),
      status: 0,
      bytes: received,
      contentType: req.headers['content-type'] ?? '',
    };
    state.requests.push(log);
    if (received > maxBodyBytes) {
      log.status = 413;
      return answer(res, 413, `body of ${received} bytes is over ${maxBodyBytes}`);
    }
    const body = new Uint8Array(Buffer.concat(chunks));
    log.codec = body[3];
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    let batch: Batch;
    try {
      batch = decodeBatchFrame(body);
    } catch (error) {
      log.status = error instanceof ProtocolError ? error.status : 400;
      return answer(res, log.status, (error as Error).message);
    }
    log.seq = batch.seq;
    if (batch.part !== undefined) log.part = batch.part;
    const contentType = log.contentType.split(';')[0]!.trim();
    if (contentType !== 'application/vnd.reprise.batch' && contentType !== 'text/plain') {
      log.status = 415;
      return answer(res, 415, `unsupported content-type ${contentType}`);
    }
    if (tooManyLeft > 0) {
      tooManyLeft--;
      log.status = 429;
      return answer(res, 429, 'slow down', { 'retry-after': String(behaviour.tooManyRequests!.retryAfterSeconds) });
    }
    if (behaviour.failWith) {
      log.status = behaviour.failWith;
      return answer(res, behaviour.failWith, 'told to fail');
    }
    const key = `${batch.session}|${batch.tab}|${batch.seq}|${batch.part ?? ''}`;
    const digest = createHash('sha256').update(JSON.stringify(batch)).digest('hex');
    const previous = stored.get(key);
    if (previous !== undefined && previous !== digest) {
      state.conflicts++;
      log.status = 409;
      return answer(res, 409, `seq ${batch.seq} was already accepted with different content`);
    }
    if (previous !== undefined) state.duplicates++;
    else {
      stored.set(key, digest);
      state.batches.push({ batch, bytes: body.byteLength, at: log.at });
    }
    log.status = 202;
    answer(res, 202, 'accepted');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, String(error)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('ingest server has no port');
  state.url = `http://127.0.0.1:${address.port}`;
  return state;
}
