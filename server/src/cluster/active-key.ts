import { z } from 'zod';
import { CollectorError } from '../errors.js';
import type { KeyProvider } from '../crypto/types.js';
import type { ObjectStore } from '../store/types.js';

/** Beside the tombstones, in the key store every node shares; not a key record (no `.json`), so key listings skip it. */
export const ACTIVE_KEY_OBJECT = '.cluster/active-key';

const recordSchema = z.object({ activeKeyId: z.string(), node: z.string(), at: z.string() });

/**
 * Nodes wrapping new data keys under different key-encryption keys would each leave sessions the
 * others cannot read. The active key id every node uses is recorded in the shared key store; a
 * node whose keyring has another active key refuses to start, naming both, unless its keyring
 * also holds the recorded key (it was given the rotated keyring: the record moves to its key,
 * and nodes started later with the old keyring are refused).
 */
export async function agreeOnActiveKey(
  store: ObjectStore,
  keys: KeyProvider & { readonly keyIds?: readonly string[] },
  nodeId: string,
): Promise<{ previous?: string }> {
  const bytes = await store.get(ACTIVE_KEY_OBJECT, { maxBytes: 4096 });
  const write = () =>
    store.put(
      ACTIVE_KEY_OBJECT,
      Buffer.from(`${JSON.stringify({ activeKeyId: keys.activeKeyId, node: nodeId, at: new Date().toISOString() })}\n`),
      { contentType: 'application/json' },
    );
  if (!bytes) {
    await write();
    return {};
  }
  const parsed = recordSchema.safeParse(safeJson(Buffer.from(bytes).toString('utf8')));
  if (!parsed.success) {
    // Only a marker: any node can write it again; the keys themselves are not in it.
    await write();
    return {};
  }
  const recorded = parsed.data;
  if (recorded.activeKeyId === keys.activeKeyId) return {};
  if (keys.keyIds?.includes(recorded.activeKeyId)) {
    await write();
    return { previous: recorded.activeKeyId };
  }
  throw new CollectorError(
    'active_key_mismatch',
    500,
    `This node's active key-encryption key is "${keys.activeKeyId}", but the other collector nodes use "${recorded.activeKeyId}" (recorded by node ${recorded.node} at ${recorded.at}), which this node's keyring does not hold. Give every node the same keyring (REPRISE_KEYRING_JSON or REPRISE_KEYRING from one secret); after a rotation, give the new keyring (holding both keys) to every node.`,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
