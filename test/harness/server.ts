import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface ServeOptions {
  /** URL prefix -> directory on disk, e.g. { '/': fixturesDir, '/core/': coreDist }. Longest prefix wins. */
  mounts?: Record<string, string>;
  /** Exact `METHOD /path` (or `/path` for any method) -> handler; checked before mounts. */
  routes?: Record<string, RouteHandler>;
  /** Inline pages: path -> HTML. */
  pages?: Record<string, string>;
  /**
   * Single-page apps: a GET for a path under one of `mounts` that is no file and has no file
   * extension (`/app/users/42`) is answered with that mount's `index.html`. @default false
   */
  spaFallback?: boolean;
}

export interface TestServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** The built IIFE of @reprise/core and other dist folders, mounted by default. */
export const DEFAULT_MOUNTS: Record<string, string> = {
  '/dist/core/': join(REPO_ROOT, 'packages/core/dist'),
  '/dist/protocol/': join(REPO_ROOT, 'packages/protocol/dist'),
  '/node_modules/': join(REPO_ROOT, 'node_modules'),
};

/** The file at `relative` inside `dir`; a folder (the mount root too) answers with its `index.html`. */
async function readMounted(dir: string, relative: string): Promise<{ file: string; data: Buffer } | undefined> {
  let file = join(dir, relative);
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    return { file, data: await readFile(file) };
  } catch {
    return undefined;
  }
}

/** A static + route server on 127.0.0.1 and a random port. */
export async function serve(options: ServeOptions = {}): Promise<TestServer> {
  const mounts = Object.entries({ ...DEFAULT_MOUNTS, ...(options.mounts ?? {}) }).sort(
    (a, b) => b[0].length - a[0].length,
  );
  const spaMounts = options.spaFallback ? mounts.filter(([prefix]) => prefix in (options.mounts ?? {})) : [];
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const handler = options.routes?.[`${req.method} ${url.pathname}`] ?? options.routes?.[url.pathname];
      if (handler) return void (await handler(req, res, body));
      const page = options.pages?.[url.pathname];
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': MIME['.html']!, 'cache-control': 'no-store' });
        return void res.end(page);
      }
      const send = ({ file, data }: { file: string; data: Buffer }) => {
        res.writeHead(200, {
          'content-type': MIME[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-store',
        });
        res.end(data);
      };
      // `/app` is the root of the `/app/` mount, like `/app/`.
      const pathname = mounts.some(([prefix]) => prefix === `${url.pathname}/`) ? `${url.pathname}/` : url.pathname;
      for (const [prefix, dir] of mounts) {
        if (!pathname.startsWith(prefix)) continue;
        const relative = normalize(decodeURIComponent(pathname.slice(prefix.length))).replace(/^([/\\])+/, '');
        if (relative.startsWith('..')) break;
        const found = await readMounted(dir, relative);
        if (found) return send(found);
        // else fall through to the next mount
      }
      if (req.method === 'GET' && extname(pathname) === '') {
        for (const [prefix, dir] of spaMounts) {
          if (!pathname.startsWith(prefix)) continue;
          const found = await readMounted(dir, 'index.html');
          if (found) return send(found);
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
