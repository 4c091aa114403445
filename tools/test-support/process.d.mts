/** A new empty folder under the system's temporary folder, named `reprise-<prefix>-…`. */
export function tempDir(prefix: string): string;

/** A port nobody listens on now (the kernel's pick, released at once). */
export function freePort(): Promise<number>;

export interface S3rverProcess {
  endpoint: string;
  port: number;
  directory: string;
  stop(): Promise<void>;
}

/** s3rver (npm) in its own process, on a free port and a temporary folder unless given. */
export function startS3rver(options?: { port?: number; directory?: string }): Promise<S3rverProcess>;

export interface NatsProcess {
  url: string;
  /** JetStream's store folder (the stream's files). */
  storeDir: string;
  /** Freeze or thaw the server (SIGSTOP / SIGCONT): a NATS that accepts connections and answers nothing. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Debian's nats-server with JetStream, in a temporary folder. */
export function startNats(options?: {
  /** More nats-server configuration: an `authorization` or `tls` block. */
  config?: string;
}): Promise<NatsProcess>;

export interface TestPostgres {
  /** Connection string of the `postgres` maintenance database, as superuser. */
  adminUrl: string;
  /** A fresh, empty database for one test file or benchmark. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL 15 on 127.0.0.1 in a throw-away directory (fsync off: test data only). */
export function startTestPostgres(): Promise<TestPostgres>;
