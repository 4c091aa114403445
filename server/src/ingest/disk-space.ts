import { statfsSync } from 'node:fs';

/**
 * Free bytes on the file system holding `dir`, read at most once per `maxAgeMs`: ingest asks on
 * every request, a statfs per request would cost more than the answer is worth, and free space
 * does not move far in a second. Undefined when the folder cannot be read (ingest then goes on and
 * lets the append report the real error).
 */
export function freeDiskSpace(dir: string, maxAgeMs = 1000): () => number | undefined {
  let readAt = Number.NEGATIVE_INFINITY;
  let free: number | undefined;
  return () => {
    const now = performance.now();
    if (now - readAt >= maxAgeMs) {
      readAt = now;
      try {
        const stats = statfsSync(dir);
        free = stats.bavail * stats.bsize;
      } catch {
        free = undefined;
      }
    }
    return free;
  };
}
