// Script-tag build: `window.ReprisePlayer.Player`, and `<reprise-player>` registered on load.
import { defineReprisePlayerElement } from './element.js';

export * from './replay-api.js';

defineReprisePlayerElement();
