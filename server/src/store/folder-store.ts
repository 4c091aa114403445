import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CollectorError } from '../errors.js';
import { syncDirectory } from '../fs/sync-directory.js';
import { objectTooLarge, type ObjectInfo, type ObjectStore } from './types.js';

const KEY_PATTERN = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** Objects as files under one folder; `put` is write-to-temp + fsync + rename + fsync(dir), so a crash never leaves half an object. */
export class FolderObjectStore implements ObjectStore {
  readonly description: string;
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    this.description = `folder:${root}`;
  }

  private pathOf(key: string): string {
    if (!isSafeKey(key)) {
      throw new CollectorError('bad_object_key', 400, `Object key "${key.slice(0, 80)}" is not a safe relative path.`);
    }
    return join(this.root, ...key.split('/'));
  }

  /**
   * lstat each component of `path` below the root and refuse a symbolic link: one planted in the
   * data folder would make the collector read, overwrite or delete files outside it. The root
   * itself may be a link (an operator's choice). False when a component does not exist.
   */
  private async isPresentWithoutLinks(path: string, key: string): Promise<boolean> {
    let current = this.root;
    for (const part of relative(this.root, path).split(sep)) {
      if (part === '') continue; // the root itself
      current = join(current, part);
      let info;
      try {
        info = await lstat(current);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return false;
        throw error;
      }
      if (info.isSymbolicLink()) throw symlinkRefused(key, current);
    }
    return true;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    await this.isPresentWithoutLinks(dir, key);
    const temp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
    let firstCreated: string | undefined;
    let handle;
    for (let attempt = 0; ; attempt++) {
      firstCreated = (await mkdir(dir, { recursive: true })) ?? firstCreated;
      try {
        handle = await open(temp, 'w', 0o600);
        break;
      } catch (error) {
        // A delete that emptied this folder may have removed it between mkdir and open.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
      }
    }
    try {
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      // The writer retries a failed put forever (a full disk, say): each attempt must not leave
      // its partial temp file behind, or the retries themselves fill the disk.
      await rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(dir);
    // A folder made for this object is an entry in its parent: fsync each parent up to the first
    // folder that already existed, or a power loss can drop the new folder with the object in it.
    for (let child = dir; firstCreated !== undefined; child = dirname(child)) {
      await syncDirectory(dirname(child));
      if (child === firstCreated || dirname(child) === child) break;
    }
  }

  async get(key: string, options: { maxBytes?: number } = {}): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    if (!(await this.isPresentWithoutLinks(path, key))) return undefined;
    let handle;
    try {
      // O_NOFOLLOW (where the platform has it) also refuses a link swapped in after the lstat.
      handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw symlinkRefused(key, path);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (options.maxBytes !== undefined && size > options.maxBytes) throw objectTooLarge(key, size, options.maxBytes);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async exists(key: string): Promise<boolean> {
    const path = this.pathOf(key);
    try {
      return (await this.isPresentWithoutLinks(path, key)) && (await lstat(path)).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the folders the prefix can reach, and never above the root: a prefix made of
    // request input ("../..") would otherwise walk and name files outside the store.
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash) : '';
    if (base !== '' && !isSafeKey(base)) {
      throw new CollectorError(
        'bad_object_key',
        400,
        `Object key prefix "${prefix.slice(0, 80)}" is not a safe relative path.`,
      );
    }
    const start = base ? join(this.root, ...base.split('/')) : this.root;
    if (base && !(await this.isPresentWithoutLinks(start, prefix))) return;
    for await (const file of walk(start)) {
      const key = relative(this.root, file).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      const info = await stat(file).catch(() => undefined);
      if (info) yield { key, size: info.size, lastModified: info.mtime };
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    // A link in a folder above the object would delete a file outside the store.
    if (!(await this.isPresentWithoutLinks(dirname(path), key))) return;
    await rm(path, { force: true });
    // Remove the folders this emptied: retention deletes every object of a day, and the empty
    // session and day folders left behind would pile up by the million and slow every sweep.
    const root = resolve(this.root);
    for (let dir = dirname(resolve(path)); dir.startsWith(root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or already gone): the folders above it are in use too
      }
    }
  }

  async close(): Promise<void> {}
}

function symlinkRefused(key: string, link: string): CollectorError {
  return new CollectorError(
    'symlink_in_store',
    500,
    `Object key "${key.slice(0, 80)}" passes through the symbolic link ${link} in the folder store: the collector reads and writes only real files and folders under its folder, and refused it. Remove the link (move the data itself into the folder if it belongs there).`,
  );
}

function isSafeKey(key: string): boolean {
  return (
    KEY_PATTERN.test(key) && !key.split('/').some((part) => part === '.' || part === '..' || part.startsWith('.tmp-'))
  );
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.tmp-')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
