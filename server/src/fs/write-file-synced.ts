import { open } from 'node:fs/promises';

/**
 * Write `text` to `path` (mode 0600 when it creates the file) and fsync it before closing: what a
 * rename or a link then publishes is on disk. `wx` refuses an existing file.
 */
export async function writeFileSynced(path: string, text: string, flags: 'w' | 'wx' = 'w'): Promise<void> {
  const handle = await open(path, flags, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
