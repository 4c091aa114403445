import { createApp } from 'vue';
import { createRecorder } from '@reprise/vue';
import App from './App.vue';
import { router } from './router.js';
import { PLAYGROUND_NETWORK } from '../../shared/app.js';
// The same app as playground/react, so the same look (an input of this playground's turbo build, turbo.json).
import '../../react/src/styles.css';

declare global {
  interface Window {
    /** The playground's recorder, for devtools (`reprise.flush()`) and the end-to-end test. */
    reprise?: import('@reprise/core').Recorder;
  }
}

/** The local collector (`npm start`); a build for another collector sets VITE_REPRISE_ENDPOINT. */
const endpoint = import.meta.env.VITE_REPRISE_ENDPOINT || 'http://127.0.0.1:4400';

// `router` marks each navigation with its route pattern and name, in place of the history tracking.
const reprise = createRecorder({
  project: 'dev',
  endpoint,
  router,
  network: PLAYGROUND_NETWORK,
  debug: import.meta.env.DEV,
});
window.reprise = reprise.recorder;

createApp(App).use(router).use(reprise).mount('#app');
