import { createRecorder, type Recorder } from '@reprise/core';
import { PLAYGROUND_NETWORK } from '../../shared/app.js';

declare global {
  interface Window {
    /** The playground's recorder, for devtools (`reprise.flush()`) and the end-to-end test. */
    reprise?: Recorder;
  }
}

/** The local collector (`npm start`); a build for another collector sets VITE_REPRISE_ENDPOINT. */
const endpoint = import.meta.env.VITE_REPRISE_ENDPOINT || 'http://127.0.0.1:4400';

// Created outside React because the data router is too: both live as long as the page.
// navigation: 'manual' because withRouterMarkers() marks each navigation with its route pattern.
export const recorder = createRecorder({
  project: 'dev',
  endpoint,
  navigation: 'manual',
  network: PLAYGROUND_NETWORK,
  debug: import.meta.env.DEV,
});

window.reprise = recorder;
