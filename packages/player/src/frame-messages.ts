import type { PlayerStatus } from './player-readout.js';
import type { PlayerEventName, PlayerOptions } from './types.js';

/**
 * The messages between a `FramedPlayer` (the host page) and `servePlayerFrame` (the sandboxed
 * frame the player runs in). Version 1: the `type` of the first message names it, so a frame
 * page built from another release of this package ignores a host it does not understand.
 */
export const FRAME_PROTOCOL = 'reprise-player-frame/1';

/**
 * What crosses into the frame: only options that are data. Functions (`resolveUrl`, `parseLine`,
 * a custom `fetch`) cannot be posted, and the network is the host's (`fetchInit`, `response`).
 */
export type FramedPlayerOptions = Omit<
  PlayerOptions,
  'source' | 'fetch' | 'fetchInit' | 'response' | 'parseLine' | 'resolveUrl' | 'injectStyles'
> & {
  /** The playback stream's URL; the frame may fetch only this URL and its windows (`?from=&to=`). */
  source: string;
};

/** The host's first message (posted to the frame's window with a MessagePort for the rest). */
export interface FrameInit {
  type: typeof FRAME_PROTOCOL;
  options: FramedPlayerOptions;
}

/**
 * The handshake on the windows, before the port exists. The frame's page says it is `waiting` for
 * a host as it starts; a host that comes later (a frame started early and handed to the player)
 * `knock`s, and a frame still waiting says so again. The host then posts its `FrameInit`.
 */
export interface FrameHandshake {
  type: typeof FRAME_PROTOCOL;
  kind: 'waiting' | 'knock';
}

/** The frame asks, and tells. */
export type FromFrame =
  | { kind: 'fetch'; id: number; url: string }
  /** The frame's reader took a chunk: the host may send one more. */
  | { kind: 'pull'; id: number }
  | { kind: 'cancel'; id: number }
  | { kind: 'event'; name: PlayerEventName; value: unknown; status: PlayerStatus }
  | { kind: 'seeked'; id: number };

/** The host commands, and answers fetches. */
export type ToFrame =
  | { kind: 'call'; method: 'play' | 'pause' | 'togglePlay' | 'toggleFullscreen' | 'focus' }
  /** The host has a listener for this event: forward it from now on. */
  | { kind: 'listen'; name: PlayerEventName }
  | { kind: 'speed'; speed: number }
  | { kind: 'skipInactive'; skip: boolean }
  | { kind: 'seek'; id: number; time: number }
  | { kind: 'response'; id: number; status: number; statusText: string; headers: Record<string, string> }
  | { kind: 'chunk'; id: number; bytes: Uint8Array }
  | { kind: 'end'; id: number }
  | { kind: 'failed'; id: number; message: string };
