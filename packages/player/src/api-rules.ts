import { createEmitter } from '@reprise/protocol';
import type { PlayerEventMap } from './types.js';

/** The player's event emitter (Player's and FramedPlayer's): one failing listener must not stop playback or the others. */
export const createPlayerEmitter = () =>
  createEmitter<PlayerEventMap>((error, name) =>
    console.error('[@reprise/player] a listener for', name, 'threw:', error),
  );

/** What `setSpeed` accepts, for both players. */
export function assertSpeed(speed: number): void {
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new RangeError(
      `[@reprise/player] setSpeed(${speed}): the speed must be a positive number such as 1, 2, 4 or 8`,
    );
  }
}
