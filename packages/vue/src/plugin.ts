import { readonly, shallowRef, type App } from 'vue';
import { resolveRecorder, type Recorder, type RecorderOptions } from '@reprise/core';
import { chainErrorHandler } from './errors.js';
import { RecorderKey, SessionIdKey } from './keys.js';
import { vRepriseBlock, vRepriseMask, vRepriseUnmask } from './privacy.js';
import { routerMarkers, type MarkableRouter } from './router.js';
import { followSessionId } from './use-recorder.js';

interface PluginExtras {
  /** A Vue Router 4 router: each completed navigation is marked with its route pattern, name and params. */
  router?: MarkableRouter;
}

/** The core's `RecorderOptions`, or `{ recorder }` made with `createRecorder()` from `@reprise/core`; `router` with either. */
export type CreateRecorderOptions =
  | (RecorderOptions & PluginExtras & { recorder?: never })
  | ({ recorder: Recorder } & PluginExtras & { [K in keyof RecorderOptions]?: never });

export interface RecorderPlugin {
  install(app: App): void;
  /** The recorder the plugin installs, e.g. for code outside components. */
  readonly recorder: Recorder;
}

/**
 * The Vue plugin: `app.use(createRecorder({ project, endpoint }))`. Provides the recorder to the
 * app (`useRecorder()`, `inject(RecorderKey)`), registers `v-reprise-mask` / `-block` / `-unmask`,
 * records errors through `app.config.errorHandler`, and records from `app.mount()` until the app
 * unmounts. The server never mounts an app, so under `createSSRApp()` / `renderToString()` nothing
 * starts and no browser global is touched.
 */
export function createRecorder(options: CreateRecorderOptions = {}): RecorderPlugin {
  const { router, ...input } = options;
  const recorder = resolveRecorder(input);
  return {
    recorder,
    install(app) {
      const sessionId = shallowRef(recorder.sessionId);
      app.provide(RecorderKey, recorder);
      app.provide(SessionIdKey, readonly(sessionId));
      app.directive('reprise-mask', vRepriseMask);
      app.directive('reprise-block', vRepriseBlock);
      app.directive('reprise-unmask', vRepriseUnmask);
      let mounting = false;
      // Errors of the first render are raised before recording starts (after app.mount()): held until it has.
      const errors = chainErrorHandler(app, recorder, () => mounting);

      let release: (() => void) | undefined;
      const start = () => {
        // Markers first: they claim navigation before the recording starts, so the first page is marked once, with its pattern.
        const stopMarkers = router ? routerMarkers(router, recorder) : undefined;
        const unfollow = followSessionId(recorder, sessionId);
        const releaseMount = recorder.mount();
        errors.release();
        release = () => {
          stopMarkers?.();
          releaseMount();
          unfollow();
        };
      };
      const stop = () => {
        release?.();
        release = undefined;
        errors.restore();
      };

      // `_container` is set once the app is mounted: a plugin installed after mount() starts at once.
      if (app._container) start();
      else {
        const mount = app.mount;
        app.mount = (...args) => {
          mounting = true;
          try {
            return mount(...args);
          } finally {
            mounting = false;
            start();
          }
        };
      }
      // app.onUnmount() arrived in Vue 3.5 (its types too); before it, the unmount itself is wrapped.
      const { onUnmount } = app as { onUnmount?: (cleanup: () => void) => void };
      if (typeof onUnmount === 'function') onUnmount.call(app, stop);
      else {
        const unmount = app.unmount;
        app.unmount = () => {
          unmount();
          stop();
        };
      }
    },
  };
}
