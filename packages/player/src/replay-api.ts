// Everything that runs where the replay runs: the script tag's build (iife.ts) is this; the npm
// entry (index.ts) adds the host side of a framed player.
export { Player, DEFAULT_SPEEDS } from './player.js';
export { injectPlayerStyles } from './styles.js';
export { servePlayerFrame } from './player-frame.js';
export { FRAME_PROTOCOL, type FramedPlayerOptions } from './frame-messages.js';
export { ReprisePlayerElement, defineReprisePlayerElement, PLAYER_ELEMENT_NAME } from './element.js';
export { parsePlaybackLine, readSource, readLines, GapFilter, isRecordedEvent } from './stream.js';
export {
  RecordingIndex,
  extractMarkers,
  DEFAULT_DEAD_CLICK_TIMEOUT,
  type ClickOptions,
  type ConsoleRow,
  type NetworkRow,
} from './markers.js';
export { detectRageClicks, type ClickPoint, type RageClick, type RageClickOptions } from '@reprise/protocol';
export {
  findInactivePeriods,
  InactivityTracker,
  isActivity,
  periodAt,
  DEFAULT_INACTIVITY_THRESHOLD,
} from './inactivity.js';
export { UrlTimeline, urlAtTime } from './url-timeline.js';
export { ResourcePolicy, type ResolveUrl, type ResourceKind, type ResourcePolicyOptions } from './resources.js';
export { formatClock, formatDuration } from './format.js';
export { MARKER_KIND_LABELS } from './timeline.js';
export type * from './types.js';
export type { PlayerStatus } from './player-readout.js';
