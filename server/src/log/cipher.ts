import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { NONCE_BYTES, TAG_BYTES } from '../crypto/keyring.js';
import type { DataKeyStore, KeyProvider, WrappedDataKey } from '../crypto/types.js';
import { CollectorError, errorMessage } from '../errors.js';

/**
 * Encryption of ingest log records at rest (file log) and on the stream (JetStream): the batches
 * wait there, decompressed, until the writer stores them. STORAGE.md, "Encrypted log records", is
 * the normative description:
 *
 *   offset 0     4 bytes   magic "RPLG" (0x52 0x50 0x4c 0x47)
 *   offset 4     1 byte    format version (1)
 *   offset 5     1 byte    key reference length N (3..255)
 *   offset 6     N bytes   key reference, ASCII "{keyName}/{dataKeyId}"
 *   offset 6+N   12 bytes  AES-GCM nonce (random per record)
 *   offset 18+N  ...       ciphertext of the record's msgpack (record.ts)
 *   last 16 bytes          GCM tag
 *
 * Associated data = bytes [0, 6+N). The data key is an ordinary wrapped data key (the keyring
 * wraps it, `keys rotate` rewraps it) stored in the data-key store under the reserved project
 * `_reprise-log`, as "session" `{keyName}`: apart from the log, like segment keys are apart from
 * the segments. The file log has one key per log file and deletes it with the file.
 */
export const LOG_RECORD_MAGIC = Buffer.from('RPLG', 'ascii');
export const LOG_RECORD_FORMAT_VERSION = 1;
/** The data-key store's project for log keys; `projects.ts` refuses it as a project id. */
export const LOG_KEY_PROJECT = '_reprise-log';

const KEY_NAME = /^[A-Za-z0-9_-]{1,128}$/;

export interface LogKey {
  /** `{keyName}/{dataKeyId}`: written in every record's header. */
  ref: string;
  key: Buffer;
  /** The record header up to the nonce (the associated data). */
  header: Buffer;
}

/**
 * Record nonces come from the CSPRNG a thousand at a time: a `randomBytes` call per record took
 * ~2 µs of the ingest thread (more under load), a tenth of sealing an 8 KB record. Each nonce is
 * still 96 fresh random bits, used once.
 */
const NONCES_PER_DRAW = 1024;
let nonces = Buffer.alloc(0);
let noncesUsed = 0;

function nextNonce(): Buffer {
  if (noncesUsed === nonces.byteLength) {
    nonces = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
    noncesUsed = 0;
  }
  noncesUsed += NONCE_BYTES;
  return nonces.subarray(noncesUsed - NONCE_BYTES, noncesUsed);
}

/** True when `payload` starts like an encrypted record (a plain record is a msgpack map: 0x8x / 0xde). */
export function isSealedLogRecord(payload: Uint8Array): boolean {
  return payload.byteLength >= 4 && LOG_RECORD_MAGIC.equals(payload.subarray(0, 4));
}

/** Creates, finds, caches and forgets log data keys; seals and opens records. */
export class LogCipher {
  private readonly cache = new Map<string, LogKey>();

  constructor(
    private readonly keys: KeyProvider,
    private readonly store: DataKeyStore,
  ) {}

  /** A fresh data key under `keyName`, durable in the key store before it is used. */
  async create(keyName: string): Promise<LogKey> {
    if (!KEY_NAME.test(keyName)) throw new TypeError(`log key name "${keyName}" must be 1-128 of A-Z a-z 0-9 _ -`);
    const { plaintext, wrapped } = await this.keys.createDataKey({ project: LOG_KEY_PROJECT, sessionId: keyName });
    await this.store.put(wrapped);
    return this.remember(`${keyName}/${wrapped.id}`, plaintext);
  }

  /**
   * Every key stored under `keyName`, unwrapped into the cache (so `openSync` can use them). A
   * name with no key resolves to none: its records then fail to open (damage, or shredded).
   */
  async load(keyName: string): Promise<LogKey[]> {
    const loaded: LogKey[] = [];
    for (const wrapped of await this.store.listSession(LOG_KEY_PROJECT, keyName)) {
      const ref = `${keyName}/${wrapped.id}`;
      loaded.push(this.cache.get(ref) ?? this.remember(ref, await this.keys.unwrap(wrapped)));
    }
    return loaded;
  }

  /** Shred every key under `keyName`: records sealed under them can no longer be read, anywhere. */
  async forget(keyName: string): Promise<void> {
    await this.store.delete(LOG_KEY_PROJECT, keyName);
    for (const ref of this.cache.keys()) if (ref.startsWith(`${keyName}/`)) this.cache.delete(ref);
  }

  /** Names of the stored log keys (to clean up keys whose files are gone). */
  async names(): Promise<Set<string>> {
    const names = new Set<string>();
    for await (const key of this.store.list(LOG_KEY_PROJECT)) names.add(key.sessionId);
    return names;
  }

  private remember(ref: string, key: Buffer): LogKey {
    const refBytes = Buffer.from(ref, 'ascii');
    const header = Buffer.concat([
      LOG_RECORD_MAGIC,
      Buffer.from([LOG_RECORD_FORMAT_VERSION, refBytes.byteLength]),
      refBytes,
    ]);
    const entry = { ref, key, header };
    this.cache.set(ref, entry);
    return entry;
  }

  /**
   * `reserve` zero bytes (the caller's frame header), then the sealed record. `plaintext` may
   * itself start with `reserve` bytes to skip (record.ts packs with room for a header).
   */
  seal(plaintext: Uint8Array, key: LogKey, reserve = 0, skip = 0): Buffer {
    const body = plaintext.subarray(skip);
    const out = Buffer.allocUnsafe(reserve + key.header.byteLength + NONCE_BYTES + body.byteLength + TAG_BYTES);
    out.fill(0, 0, reserve);
    let at = reserve + key.header.copy(out, reserve);
    const nonce = nextNonce();
    at += nonce.copy(out, at);
    const cipher = createCipheriv('aes-256-gcm', key.key, nonce);
    cipher.setAAD(key.header);
    at += cipher.update(body).copy(out, at);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  /** The key reference a sealed record names, or undefined when its header is malformed. */
  static refOf(payload: Uint8Array): string | undefined {
    if (!isSealedLogRecord(payload) || payload.byteLength < 6) return undefined;
    if (payload[4] !== LOG_RECORD_FORMAT_VERSION) return undefined;
    const length = payload[5]!;
    if (payload.byteLength < 6 + length + NONCE_BYTES + TAG_BYTES) return undefined;
    return Buffer.from(payload.buffer, payload.byteOffset + 6, length).toString('latin1');
  }

  /** Decrypt with a cached key; throws `log_record_unreadable` when the key is unknown or the tag fails. */
  openSync(payload: Uint8Array): Buffer {
    const ref = LogCipher.refOf(payload);
    const key = ref === undefined ? undefined : this.cache.get(ref);
    if (!key) {
      throw new CollectorError(
        'log_record_unreadable',
        500,
        ref === undefined
          ? 'A log record has a malformed encryption header.'
          : `A log record is sealed under log key ${ref.slice(0, 160)}, which is not in the key store (shredded, or the key store was not restored with the log).`,
      );
    }
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const nonceAt = key.header.byteLength;
    const tagAt = bytes.byteLength - TAG_BYTES;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(nonceAt, nonceAt + NONCE_BYTES));
      decipher.setAAD(bytes.subarray(0, nonceAt));
      decipher.setAuthTag(bytes.subarray(tagAt));
      return Buffer.concat([decipher.update(bytes.subarray(nonceAt + NONCE_BYTES, tagAt)), decipher.final()]);
    } catch (error) {
      throw new CollectorError(
        'log_record_unreadable',
        500,
        `A log record failed authentication under log key ${ref}: it was modified (${errorMessage(error)}).`,
        { cause: error },
      );
    }
  }

  /** Decrypt, fetching the named key from the key store first when it is not cached (JetStream). */
  async open(payload: Uint8Array): Promise<Buffer> {
    const ref = LogCipher.refOf(payload);
    if (ref !== undefined && !this.cache.has(ref)) {
      const slash = ref.indexOf('/');
      const name = ref.slice(0, slash);
      if (slash > 0 && KEY_NAME.test(name)) {
        let wrapped: WrappedDataKey | undefined;
        try {
          wrapped = await this.store.get(LOG_KEY_PROJECT, name, ref.slice(slash + 1));
        } catch (error) {
          // A damaged record stays unreadable; anything else (the key store down or slow) passes:
          // the record is fine and must be read again later, never thrown away.
          if (!(error instanceof CollectorError && error.code === 'bad_data_key')) {
            throw new CollectorError(
              'log_key_unavailable',
              503,
              `The key store did not answer for log key ${ref.slice(0, 160)} (${errorMessage(error)}); the record is kept and read again.`,
              { cause: error },
            );
          }
        }
        if (wrapped) this.remember(ref, await this.keys.unwrap(wrapped));
      }
    }
    return this.openSync(payload);
  }
}
