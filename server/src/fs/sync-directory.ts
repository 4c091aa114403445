import { open } from 'node:fs/promises';

/** Make a rename durable: fsync the directory that holds it. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
