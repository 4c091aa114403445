import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CollectorError, errorMessage } from '../errors.js';
import { syncDirectory } from '../fs/sync-directory.js';
import { writeFileSynced } from '../fs/write-file-synced.js';
import type { DataKeyContext, KeyProvider, WrappedDataKey } from './types.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

const keyringSchema = z.object({
  version: z.literal(1),
  active: z.string().min(1),
  keys: z
    .array(
      z.object({
        id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
        createdAt: z.string(),
        /** base64 of 32 random bytes */
        key: z.string(),
      }),
    )
    .min(1),
});
export type KeyringFile = z.infer<typeof keyringSchema>;

/** Parse and validate a keyring document; `label` starts the errors (which never quote the text: it is key material). */
function parseKeyringText(text: string, label: string): KeyringFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Neither the parser's message nor its error as cause: V8 quotes the text around the fault,
    // which here is key material, and both end up in logs.
    throw new CollectorError(
      'bad_keyring',
      500,
      `${label} is not valid JSON. Restore it from backup: without it stored sessions cannot be decrypted.`,
    );
  }
  try {
    return keyringSchema.parse(json);
  } catch (error) {
    throw new CollectorError(
      'bad_keyring',
      500,
      `${label} is not a valid keyring file (${errorMessage(error)}). Restore it from backup: without it stored sessions cannot be decrypted.`,
    );
  }
}

/** Associated data of a data-key wrap (STORAGE.md, "Wrapped data keys"). */
export function dataKeyWrapAad(key: Pick<WrappedDataKey, 'project' | 'sessionId' | 'id'>): Buffer {
  return Buffer.from(`reprise-dek/v1/${key.project}/${key.sessionId}/${key.id}`, 'utf8');
}

export function newKekId(now = new Date()): string {
  return `kek-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

/** A keyring of fresh random keys with these ids, the last one active (the first start's, or a test's). */
export function newKeyringFile(...ids: [string, ...string[]]): KeyringFile {
  return {
    version: 1,
    active: ids[ids.length - 1]!,
    keys: ids.map((id) => ({
      id,
      createdAt: new Date().toISOString(),
      key: randomBytes(KEY_BYTES).toString('base64'),
    })),
  };
}

export interface KeyringLoadResult {
  keyring: FileKeyring;
  /** True when this call created the file (first start). */
  created: boolean;
  /** Set when the file is readable by group or others. */
  permissionWarning?: string;
}

/**
 * Key-encryption keys from a local JSON file (mode 0600). Fine for one machine; production puts
 * its KEK in a KMS behind the same KeyProvider interface, or at least provisions this file itself.
 */
export class FileKeyring implements KeyProvider {
  readonly path: string;
  private file: KeyringFile;
  private readonly keys = new Map<string, Buffer>();

  /** Set for a keyring given as key material (REPRISE_KEYRING_JSON): there is no file to rotate into. */
  private readonly readOnly: boolean;

  private constructor(path: string, file: KeyringFile, readOnly = false) {
    this.path = path;
    this.readOnly = readOnly;
    this.file = file;
    for (const entry of file.keys) {
      if (this.keys.has(entry.id)) {
        throw new CollectorError(
          'bad_keyring',
          500,
          `Keyring ${path}: key id "${entry.id}" appears twice; data keys name their KEK by id, so each id must be unique.`,
        );
      }
      const material = Buffer.from(entry.key, 'base64');
      if (material.byteLength !== KEY_BYTES) {
        throw new CollectorError(
          'bad_keyring',
          500,
          `Keyring ${path}: key "${entry.id}" is ${material.byteLength} bytes; a key-encryption key is 32 bytes of base64.`,
        );
      }
      this.keys.set(entry.id, material);
    }
    if (!this.keys.has(file.active)) {
      throw new CollectorError(
        'bad_keyring',
        500,
        `Keyring ${path}: the active key "${file.active}" is not in "keys".`,
      );
    }
  }

  /** Load the keyring, creating it (0600, one fresh KEK) when the file does not exist. */
  static async load(path: string): Promise<KeyringLoadResult> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const file = newKeyringFile(newKekId());
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      try {
        await writeKeyringFile(path, file, 'wx');
      } catch (raceError) {
        // Another process created it between our read and write: use theirs.
        if ((raceError as NodeJS.ErrnoException).code === 'EEXIST') return FileKeyring.load(path);
        throw raceError;
      }
      return { keyring: new FileKeyring(path, file), created: true };
    }
    const parsed = parseKeyringText(text, `Keyring ${path}`);
    const mode = (await stat(path)).mode & 0o777;
    const permissionWarning =
      (mode & 0o077) !== 0 ? `Keyring ${path} has mode ${mode.toString(8)}; run chmod 600 on it.` : undefined;
    return {
      keyring: new FileKeyring(path, parsed),
      created: false,
      ...(permissionWarning ? { permissionWarning } : {}),
    };
  }

  /**
   * The keyring from key material rather than a file: the keyring JSON, or that JSON in base64,
   * as a container platform hands a secret over in an environment variable. `source` names it in
   * errors (never the material).
   */
  static fromMaterial(material: string, source = 'REPRISE_KEYRING_JSON'): FileKeyring {
    const trimmed = material.trim();
    const text = trimmed.startsWith('{') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
    return new FileKeyring(source, parseKeyringText(text, `The keyring in ${source}`), true);
  }

  get activeKeyId(): string {
    return this.file.active;
  }

  get keyIds(): string[] {
    return this.file.keys.map((entry) => entry.id);
  }

  /** Add a fresh KEK and make it active; older KEKs stay to unwrap existing data keys until they are rewrapped. */
  async rotate(): Promise<string> {
    this.assertWritable();
    const id = newKekId();
    const material = randomBytes(KEY_BYTES);
    const next: KeyringFile = {
      ...this.file,
      active: id,
      keys: [...this.file.keys, { id, createdAt: new Date().toISOString(), key: material.toString('base64') }],
    };
    await writeKeyringFile(this.path, next, 'replace');
    this.file = next;
    this.keys.set(id, material);
    return id;
  }

  /** Remove a retired KEK once no data key is wrapped by it any more. */
  async retire(id: string): Promise<void> {
    this.assertWritable();
    if (id === this.file.active)
      throw new CollectorError('key_in_use', 409, `KEK "${id}" is the active key; rotate before retiring it.`);
    const next: KeyringFile = { ...this.file, keys: this.file.keys.filter((entry) => entry.id !== id) };
    await writeKeyringFile(this.path, next, 'replace');
    this.file = next;
    this.keys.delete(id);
  }

  private assertWritable(): void {
    if (this.readOnly)
      throw new CollectorError(
        'keyring_read_only',
        409,
        `The keyring comes from ${this.path}, not a file: change the secret that sets it (add a key and make it active, or drop a retired one) and restart the nodes.`,
      );
  }

  private kek(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key)
      throw new CollectorError(
        'unknown_kek',
        500,
        `Key-encryption key "${id}" is not in keyring ${this.path}; restore the keyring that wrapped this data key.`,
      );
    return key;
  }

  async createDataKey(context: DataKeyContext): Promise<{ plaintext: Buffer; wrapped: WrappedDataKey }> {
    const plaintext = randomBytes(KEY_BYTES);
    const id = `dk-${randomBytes(8).toString('hex')}`;
    return {
      plaintext,
      wrapped: this.wrapWith(this.file.active, plaintext, { ...context, id, createdAt: new Date().toISOString() }),
    };
  }

  private wrapWith(
    kekId: string,
    plaintext: Buffer,
    meta: DataKeyContext & { id: string; createdAt: string },
  ): WrappedDataKey {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek(kekId), nonce);
    cipher.setAAD(dataKeyWrapAad(meta));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return {
      v: 1,
      id: meta.id,
      project: meta.project,
      sessionId: meta.sessionId,
      kekId,
      nonce: nonce.toString('base64'),
      wrapped: sealed.toString('base64'),
      createdAt: meta.createdAt,
    };
  }

  async unwrap(wrapped: WrappedDataKey): Promise<Buffer> {
    const sealed = Buffer.from(wrapped.wrapped, 'base64');
    const nonce = Buffer.from(wrapped.nonce, 'base64');
    if (sealed.byteLength !== KEY_BYTES + TAG_BYTES || nonce.byteLength !== NONCE_BYTES) {
      throw new CollectorError(
        'key_unwrap_failed',
        500,
        `Data key ${wrapped.id} of ${wrapped.project}/${wrapped.sessionId} is malformed.`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek(wrapped.kekId), nonce);
      decipher.setAAD(dataKeyWrapAad(wrapped));
      decipher.setAuthTag(sealed.subarray(KEY_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(0, KEY_BYTES)), decipher.final()]);
    } catch (error) {
      if (error instanceof CollectorError) throw error;
      throw new CollectorError(
        'key_unwrap_failed',
        500,
        `Data key ${wrapped.id} of ${wrapped.project}/${wrapped.sessionId} does not unwrap with KEK "${wrapped.kekId}": the record or the keyring was altered.`,
        { cause: error },
      );
    }
  }

  async rewrap(wrapped: WrappedDataKey): Promise<WrappedDataKey> {
    const plaintext = await this.unwrap(wrapped);
    return this.wrapWith(this.file.active, plaintext, {
      project: wrapped.project,
      sessionId: wrapped.sessionId,
      id: wrapped.id,
      createdAt: wrapped.createdAt,
    });
  }
}

/**
 * Write the keyring so that a crash or a concurrent reader never sees half a file: temp file
 * (0600) + fsync, then an atomic rename (or, for first creation, link() which fails with EEXIST
 * when another process won), then fsync the directory. Without the directory fsync a crash after
 * `keys rotate` could bring back the old keyring while the data keys, already rewrapped and
 * durable, name the lost new KEK: every session unreadable.
 */
async function writeKeyringFile(path: string, file: KeyringFile, mode: 'wx' | 'replace'): Promise<void> {
  const temp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const text = `${JSON.stringify(file, null, 2)}\n`;
  try {
    await writeSynced(temp, text);
    if (mode === 'replace') {
      await rename(temp, path);
    } else {
      try {
        await link(temp, path);
      } catch (error) {
        // Some mounts (SMB, a few FUSE file systems) have no hard links: create in place then.
        if (
          !['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes((error as NodeJS.ErrnoException).code ?? '')
        )
          throw error;
        await writeSynced(path, text);
      }
    }
  } finally {
    // Holds key material: never leave it behind (after link() it is a second name for the file).
    await rm(temp, { force: true });
  }
  await syncDirectory(dirname(path));
}

/** Create `path` (never overwriting), write, fsync, mode 0600 whatever the umask. */
async function writeSynced(path: string, text: string): Promise<void> {
  await writeFileSynced(path, text, 'wx');
  await chmod(path, 0o600);
}
