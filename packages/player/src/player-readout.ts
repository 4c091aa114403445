import type { LoadProgress, PlayerState, UrlAtTime } from './types.js';

/** What a player shows at one moment: every value its getters return, at once. */
export interface PlayerStatus {
  /** ms from the start of the recording. */
  time: number;
  /** Length of the recording in ms: the whole session when the stream announced it, else what has loaded. */
  duration: number;
  state: PlayerState;
  speed: number;
  skipInactive: boolean;
  progress: LoadProgress;
  /** The page address (and route pattern) at `time`. */
  url: UrlAtTime | undefined;
  /** The recorded viewport size. */
  viewport: { width: number; height: number };
  /** Epoch ms of time 0 (the first event), to convert between player time and timestamps. */
  startTimestamp: number | undefined;
}

/**
 * The getters of `Player` and `FramedPlayer`, written once over `getStatus()`: the framed player
 * answers from the status its frame last reported, the player from its own parts, and neither can
 * drift from the other.
 */
export abstract class PlayerReadout {
  /** Everything the getters below answer, at this moment (a copy: changing it changes nothing). */
  abstract getStatus(): PlayerStatus;

  getSpeed(): number {
    return this.getStatus().speed;
  }
  getSkipInactive(): boolean {
    return this.getStatus().skipInactive;
  }
  /** ms from the start of the recording. */
  getCurrentTime(): number {
    return this.getStatus().time;
  }
  /** Length of the recording in ms: the whole session when the stream announced it, else what has loaded. */
  getDuration(): number {
    return this.getStatus().duration;
  }
  /** Epoch ms of time 0 (the first event), to convert between player time and timestamps. */
  getStartTimestamp(): number | undefined {
    return this.getStatus().startTimestamp;
  }
  getState(): PlayerState {
    return this.getStatus().state;
  }
  getProgress(): LoadProgress {
    return this.getStatus().progress;
  }
  /** The page address (and route pattern) at the current moment. */
  getUrl(): UrlAtTime | undefined {
    return this.getStatus().url;
  }
  /** The recorded viewport size. */
  getViewport(): { width: number; height: number } {
    return this.getStatus().viewport;
  }
}
