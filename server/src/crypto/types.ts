/**
 * Envelope encryption: every session gets a random 256-bit data key (DEK); a key-encryption
 * key (KEK) from a KeyProvider wraps it. Only wrapped DEKs are ever persisted, apart from the
 * objects they protect. See STORAGE.md for the exact byte layouts.
 */

/** Which session a data key belongs to; bound into the wrap as associated data. */
export interface DataKeyContext {
  project: string;
  sessionId: string;
}

/** A data key as persisted: wrapped by the KEK named `kekId`. JSON-serialisable. */
export interface WrappedDataKey {
  /** Format version of this record. */
  v: 1;
  /** Data key id: written in every object's header, so a reader finds the right key. */
  id: string;
  project: string;
  sessionId: string;
  /** Id of the key-encryption key that wrapped it. */
  kekId: string;
  /** Base64 96-bit nonce of the wrap. */
  nonce: string;
  /** Base64 ciphertext || 16-byte GCM tag of the 32-byte data key. */
  wrapped: string;
  createdAt: string;
}

/**
 * A source of key-encryption keys: the local keyring file by default, a cloud KMS later
 * (GenerateDataKey / Decrypt / ReEncrypt map one to one onto these methods).
 */
export interface KeyProvider {
  /** Id of the KEK new data keys are wrapped with. */
  readonly activeKeyId: string;
  /** A fresh random data key, returned both in clear (for immediate use, never persisted) and wrapped. */
  createDataKey(context: DataKeyContext): Promise<{ plaintext: Buffer; wrapped: WrappedDataKey }>;
  /** Recover the clear data key; throws CollectorError('key_unwrap_failed') on any mismatch. */
  unwrap(wrapped: WrappedDataKey): Promise<Buffer>;
  /** Re-wrap under the active KEK without touching any object (key rotation). */
  rewrap(wrapped: WrappedDataKey): Promise<WrappedDataKey>;
}

/**
 * Persistence of wrapped data keys. A session normally has one; it may have more (two collector
 * nodes starting the same session, a rekey), which is why every object names its data key id.
 * Deleting a session's keys makes its objects unreadable (crypto-shredding).
 */
export interface DataKeyStore {
  get(project: string, sessionId: string, dataKeyId: string): Promise<WrappedDataKey | undefined>;
  /** Every key of one session, oldest first (damaged records as `options.onDamaged` says). */
  listSession(project: string, sessionId: string, options?: DataKeyListOptions): Promise<WrappedDataKey[]>;
  /** Durable before it resolves; replaces a record with the same id (rewrap). */
  put(key: WrappedDataKey): Promise<void>;
  /** Delete every key of the session. */
  delete(project: string, sessionId: string): Promise<void>;
  /** Every stored wrapped key of a project (or of all projects): used by key rotation and retention. */
  list(project?: string, options?: DataKeyListOptions): AsyncIterable<WrappedDataKey>;
}

export interface DataKeyListOptions {
  /**
   * Called for a damaged record (not the documented JSON, too large, or copied from another
   * session), which is then skipped. Without it a damaged record throws `bad_data_key`: key
   * rotation must not silently leave a record behind.
   */
  onDamaged?: (where: string, error: unknown) => void;
}
