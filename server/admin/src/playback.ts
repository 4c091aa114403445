import { parsePlaybackLine, type StreamItem } from '@reprise/player';

/**
 * The collector's playback stream (server/PLAYBACK.md) marks its own records with a `stream`
 * field: `session` (bounds), `segment` (a segment starts: the player uses its index and bounds), `skipped` (a segment that could not be
 * read: missing, corrupt or unreadable), `end`. Every other line is an rrweb event, which the
 * player's own parser handles.
 */
export function parseCollectorLine(line: string): StreamItem | null {
  const text = line.trim();
  if (text === '') return null;
  if (text.startsWith('{"stream"') || text.includes('"stream":')) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return parsePlaybackLine(text);
    }
    switch (record.stream) {
      case 'session':
        return {
          kind: 'meta',
          ...(typeof record.startedAt === 'number' ? { start: record.startedAt } : {}),
          ...(typeof record.endedAt === 'number' ? { end: record.endedAt } : {}),
        };
      case 'skipped':
        return {
          kind: 'gap',
          ...(typeof record.index === 'number' ? { segment: record.index } : {}),
          reason: describeSkip(record),
          ...(typeof record.startedAt === 'number' ? { start: record.startedAt } : {}),
          ...(typeof record.endedAt === 'number' ? { end: record.endedAt } : {}),
        };
      case 'segment':
        // The player keeps each segment once and fetches windows around seek targets with these.
        return parsePlaybackLine(text);
      case 'end':
        return null;
      default:
        if (typeof record.stream === 'string') return null;
    }
  }
  return parsePlaybackLine(text);
}

function describeSkip(record: Record<string, unknown>): string {
  const reason = typeof record.reason === 'string' ? record.reason : 'missing';
  const words: Record<string, string> = {
    missing: 'a segment of this recording is missing from storage',
    corrupt: 'a segment of this recording is damaged and could not be decrypted',
    unreadable: 'a segment of this recording can no longer be decrypted (its key is gone)',
  };
  return words[reason] ?? `a segment could not be read (${reason})`;
}
