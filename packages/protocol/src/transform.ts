import type { RecordedEvent } from './events.js';
import { IncrementalSource } from './rrweb.js';

/**
 * Event transforms (PROTOCOL.md, "Event transforms"): reversible rewrites applied to a batch's
 * events before msgpack so that the compressor sees small, repetitive numbers instead of large
 * growing ones. Each batch is self-contained: every chain starts from zero (timestamps from the
 * batch's `start`) in every batch, so a lost batch never makes a later one undecodable.
 *
 * Rule that makes decoding exact: a field is rewritten only when it holds a safe integer, and the
 * rewritten value is again a safe integer; a decoder restores exactly the integer fields it meets
 * in the same order. Anything else (floats, null, missing, unknown shapes) passes through untouched.
 */
export const EVENT_TRANSFORMS_VERSION = 1;

/** `check`: encode without writing, to learn whether a batch can be coded before changing it. */
type Direction = 'encode' | 'decode' | 'check';
type Node = Record<string, unknown>;

/** An integer whose delta is not a safe integer: the batch must travel without transforms. */
class UncodableBatch extends Error {}

/** A running "previous value": each coded field is stored as the difference from it. */
class Chain {
  constructor(public previous = 0) {}
}

const isObject = (value: unknown): value is Node =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Code `holder[key]` against `chain`; returns the original (decoded) value, or undefined when not an integer. */
function code(holder: Node, key: string, chain: Chain, direction: Direction): number | undefined {
  const value = holder[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
  const encoding = direction !== 'decode';
  const original = encoding ? value : value + chain.previous;
  const coded = encoding ? value - chain.previous : original;
  if (!Number.isSafeInteger(original) || !Number.isSafeInteger(coded)) {
    // Left raw, the decoder would still add the chain to it (it cannot tell): refuse the batch instead.
    if (encoding) throw new UncodableBatch();
    return undefined;
  }
  if (direction !== 'check') holder[key] = coded;
  chain.previous = original;
  return original;
}

/** Code `holder[key]` relative to a fixed reference (a node's own id), without moving any chain. */
function codeRelative(holder: Node, key: string, reference: number | undefined, direction: Direction): void {
  if (reference === undefined) return;
  code(holder, key, new Chain(reference), direction);
}

interface Chains {
  timestamp: Chain;
  nodeId: Chain;
  removedId: Chain;
  changedId: Chain;
  x: Chain;
  y: Chain;
  targetId: Chain;
  timeOffset: Chain;
}

/** Serialized DOM nodes (full snapshot, mutation adds): ids in document order differ by ~1. Iterative: hostile depth cannot overflow the stack. */
function codeNodeTree(root: unknown, chains: Chains, direction: Direction): number | undefined {
  if (!isObject(root)) return undefined;
  let rootId: number | undefined;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const id = code(node, 'id', chains.nodeId, direction);
    if (node === root) rootId = id;
    const children = node.childNodes;
    if (Array.isArray(children)) {
      for (let i = children.length - 1; i >= 0; i--) {
        const child: unknown = children[i];
        if (isObject(child)) stack.push(child);
      }
    }
  }
  return rootId;
}

function codeMutation(data: Node, chains: Chains, direction: Direction): void {
  for (const key of ['texts', 'attributes'] as const) {
    const list = data[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) if (isObject(item)) code(item, 'id', chains.changedId, direction);
  }
  const removes = data.removes;
  if (Array.isArray(removes)) {
    for (const item of removes) {
      if (!isObject(item)) continue;
      const id = code(item, 'id', chains.removedId, direction);
      codeRelative(item, 'parentId', id, direction);
    }
  }
  const adds = data.adds;
  if (Array.isArray(adds)) {
    for (const item of adds) {
      if (!isObject(item)) continue;
      const id = codeNodeTree(item.node, chains, direction);
      codeRelative(item, 'parentId', id, direction);
      codeRelative(item, 'nextId', id, direction);
    }
  }
}

function codePointer(item: Node, chains: Chains, direction: Direction): void {
  code(item, 'x', chains.x, direction);
  code(item, 'y', chains.y, direction);
  code(item, 'id', chains.targetId, direction);
}

function codeEvents(events: unknown[], start: number, direction: Direction): void {
  const chains: Chains = {
    timestamp: new Chain(Number.isSafeInteger(start) ? start : 0),
    nodeId: new Chain(),
    removedId: new Chain(),
    changedId: new Chain(),
    x: new Chain(),
    y: new Chain(),
    targetId: new Chain(),
    timeOffset: new Chain(),
  };
  for (const event of events) {
    if (!isObject(event)) continue;
    code(event, 'timestamp', chains.timestamp, direction);
    const data = event.data;
    if (!isObject(data)) continue;
    if (event.type === 2) {
      codeNodeTree(data.node, chains, direction);
    } else if (event.type === 3) {
      const source = data.source;
      if (source === IncrementalSource.Mutation) {
        codeMutation(data, chains, direction);
      } else if (
        source === IncrementalSource.MouseMove ||
        source === IncrementalSource.TouchMove ||
        source === IncrementalSource.Drag
      ) {
        const positions = data.positions;
        if (!Array.isArray(positions)) continue;
        for (const position of positions) {
          if (!isObject(position)) continue;
          codePointer(position, chains, direction);
          code(position, 'timeOffset', chains.timeOffset, direction);
        }
      } else if (source === IncrementalSource.MouseInteraction) {
        codePointer(data, chains, direction);
      }
    }
  }
}

/**
 * Rewrite events in place for the wire (the caller passes a copy it owns). Returns false when a
 * delta would not be a safe integer: the events are then partly rewritten and must be discarded,
 * and the batch sent without transforms.
 */
export function compactEvents(events: RecordedEvent[], start: number): boolean {
  try {
    codeEvents(events, start, 'encode');
    return true;
  } catch (error) {
    if (error instanceof UncodableBatch) return false;
    throw error;
  }
}

/**
 * Whether compactEvents would succeed, without changing the events: a caller that must keep its
 * events (a collector coding them in place for storage, then undoing it) asks first.
 */
export function canCompactEvents(events: readonly RecordedEvent[], start: number): boolean {
  try {
    codeEvents(events as unknown[], start, 'check');
    return true;
  } catch (error) {
    if (error instanceof UncodableBatch) return false;
    throw error;
  }
}

/** Undo compactEvents in place. Tolerates any shape: unknown fields pass through. */
export function expandEvents(events: unknown[], start: number): void {
  codeEvents(events, start, 'decode');
}
