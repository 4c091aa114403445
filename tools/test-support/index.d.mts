import type { RecordedEvent, RepriseKind, ReprisePayloads } from '@reprise/protocol';

export interface EventSink {
  events: RecordedEvent[];
  onEvents: (batch: RecordedEvent[]) => void;
  payloads<K extends RepriseKind>(kind: K): ReprisePayloads[K][];
  ofType(type: number): RecordedEvent[];
}

/** An `onEvents` sink that keeps everything the recorder emits, after privacy. */
export function eventSink(): EventSink;

/** Every global a browser has and Node has not. */
export const BROWSER_GLOBALS: readonly string[];

export interface BrowserGlobalTraps {
  /** The globals read since the last reset, in order. */
  touched: string[];
  reset(): void;
  restore(): void;
}

/** Traps each browser global in the node environment: reads are noted and answer undefined. */
export function trapBrowserGlobals(names?: readonly string[]): BrowserGlobalTraps;

/** Web Storage (localStorage, sessionStorage) for Node, which has none: the Storage contract, kept in a Map in insertion order. */
export class MemoryStorage implements Storage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  clear(): void;
  [name: string]: unknown;
}
