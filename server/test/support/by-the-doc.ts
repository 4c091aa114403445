// What the STORAGE.md decoders in the tests share: they follow the document with node:crypto
// alone, never with the collector's own code.
import { createDecipheriv } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { unpack } from 'msgpackr';
import { expect } from 'vitest';

/** Every file below `dir` (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `keyring.json` as the collector writes it (STORAGE.md, "Keyring"). */
export interface KeyringFile {
  keys: Array<{ id: string; key: string }>;
}

export function readKeyringFile(path: string): KeyringFile {
  return JSON.parse(readFileSync(path, 'utf8')) as KeyringFile;
}

/**
 * STORAGE.md "Wrapped data key": the `{dataKeyId}.json` at `keyPath`, opened with the keyring's
 * key-encryption key it names, the associated data binding it to its project and session.
 */
export function unwrapDataKeyByTheDoc(ring: KeyringFile, keyPath: string, project: string, session: string): Buffer {
  const dk = JSON.parse(readFileSync(keyPath, 'utf8')) as { id: string; kekId: string; nonce: string; wrapped: string };
  const kek = Buffer.from(ring.keys.find((k) => k.id === dk.kekId)!.key, 'base64');
  return aesGcmOpen(
    kek,
    Buffer.from(dk.nonce, 'base64'),
    Buffer.from(dk.wrapped, 'base64'),
    Buffer.from(`reprise-dek/v1/${project}/${session}/${dk.id}`, 'utf8'),
  );
}

/** AES-256-GCM open, the tag being the last 16 bytes, as STORAGE.md lays out sealed data. */
export function aesGcmOpen(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - 16)), decipher.final()]);
}

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * PROTOCOL.md "Event transforms" undone, written from the page alone (not the protocol's code):
 * each coded field is a safe integer holding the difference from its chain's previous value.
 */
export function undoEventTransformsByTheDoc(events: unknown[], start: number): void {
  const chains = { timestamp: start, node: 0, changed: 0, removed: 0, x: 0, y: 0, target: 0, offset: 0 };
  type ChainName = keyof typeof chains;
  const restore = (holder: Node, key: string, chain: ChainName): number | undefined => {
    const value = holder[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
    holder[key] = chains[chain] += value;
    return chains[chain];
  };
  const restoreFrom = (holder: Node, key: string, reference: number | undefined): void => {
    const value = holder[key];
    if (reference !== undefined && typeof value === 'number' && Number.isSafeInteger(value))
      holder[key] = value + reference;
  };
  const walk = (node: unknown): number | undefined => {
    if (!isNode(node)) return undefined;
    const id = restore(node, 'id', 'node');
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) walk(child);
    return id;
  };
  const pointer = (item: Node): void => {
    restore(item, 'x', 'x');
    restore(item, 'y', 'y');
    restore(item, 'id', 'target');
  };
  for (const event of events) {
    if (!isNode(event)) continue;
    restore(event, 'timestamp', 'timestamp');
    const data = event.data;
    if (!isNode(data)) continue;
    if (event.type === 2) walk(data.node);
    if (event.type !== 3) continue;
    const items = (key: string): Node[] => (Array.isArray(data[key]) ? (data[key] as unknown[]).filter(isNode) : []);
    if (data.source === 0) {
      for (const item of [...items('texts'), ...items('attributes')]) restore(item, 'id', 'changed');
      for (const item of items('removes')) restoreFrom(item, 'parentId', restore(item, 'id', 'removed'));
      for (const item of items('adds')) {
        const id = walk(item.node);
        restoreFrom(item, 'parentId', id);
        restoreFrom(item, 'nextId', id);
      }
    } else if (data.source === 1 || data.source === 6 || data.source === 12) {
      for (const position of items('positions')) {
        pointer(position);
        restore(position, 'timeOffset', 'offset');
      }
    } else if (data.source === 2) {
      pointer(data);
    }
  }
}

export function walFiles(logDir: string): string[] {
  return filesUnder(logDir)
    .filter((path) => /wal-\d{8}\.log$/.test(path))
    .sort();
}

/**
 * STORAGE.md, "Encrypted log records", followed literally: frames, the record header, the wrapped
 * key in the key folder, the keyring. Returns the decoded records; a record whose key is gone
 * (shredded) is counted in `unreadable`.
 */
export function decodeLogByTheDoc(
  logDir: string,
  keysDir: string,
  keyringPath: string,
): { records: Array<Record<string, unknown>>; unreadable: number } {
  const ring = readKeyringFile(keyringPath);
  const records: Array<Record<string, unknown>> = [];
  let unreadable = 0;
  for (const wal of walFiles(logDir)) {
    const bytes = readFileSync(wal);
    for (let at = 0; at + 8 <= bytes.byteLength;) {
      const length = bytes.readUInt32LE(at);
      if (length === 0) break; // the preallocated zeros
      const payload = bytes.subarray(at + 8, at + 8 + length);
      expect(crc32(payload)).toBe(bytes.readUInt32LE(at + 4));
      at += 8 + length;
      expect(payload.subarray(0, 4).toString('ascii')).toBe('RPLG');
      expect(payload[4]).toBe(1);
      const n = payload[5]!;
      const [name, keyId] = payload
        .subarray(6, 6 + n)
        .toString('ascii')
        .split('/') as [string, string];
      const keyPath = join(keysDir, '_reprise-log', name, `${keyId}.json`);
      if (!existsSync(keyPath)) {
        unreadable++;
        continue;
      }
      const dataKey = unwrapDataKeyByTheDoc(ring, keyPath, '_reprise-log', name);
      const plain = aesGcmOpen(
        dataKey,
        payload.subarray(6 + n, 18 + n),
        payload.subarray(18 + n),
        payload.subarray(0, 6 + n),
      );
      records.push(unpack(plain) as Record<string, unknown>);
    }
  }
  return { records, unreadable };
}
