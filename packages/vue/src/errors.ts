import type { App, ComponentPublicInstance } from 'vue';
import type { Recorder } from '@reprise/core';

type ErrorHandler = NonNullable<App['config']['errorHandler']>;

function componentName(instance: ComponentPublicInstance): string {
  const options = instance.$options as { name?: string; __name?: string };
  // `__name` is what the SFC compiler derives from the file name for <script setup> components.
  return options.name || options.__name || 'Anonymous';
}

/** `at <Child>` lines up to the root, as Vue prints its own component traces. */
function componentTrace(instance: ComponentPublicInstance): string {
  const lines: string[] = [];
  for (
    let current: ComponentPublicInstance | null = instance;
    current && lines.length < 100;
    current = current.$parent
  ) {
    lines.push(`at <${componentName(current)}>`);
  }
  return lines.join('\n');
}

/**
 * An `app.config.errorHandler` that records each error with the component name and Vue's `info`
 * (the lifecycle hook, "render function", "setup function"...), then hands it to `next`. Without
 * `next` it logs the error, as Vue does when an app has no handler. The plugin installs this for
 * you; use it for an app that records with a recorder it does not install.
 */
export function vueErrorHandler(recorder: Recorder, next?: ErrorHandler): ErrorHandler {
  return (error, instance, info) => {
    recordVueError(recorder, error, instance, info);
    if (next) next(error, instance, info);
    else console.error(error);
  };
}

function recordVueError(recorder: Recorder, ...[error, instance, info]: Parameters<ErrorHandler>): void {
  recorder.captureError(error, {
    framework: 'vue',
    info,
    ...(instance ? { component: componentName(instance), componentStack: componentTrace(instance) } : {}),
  });
}

/**
 * Keeps the recording handler in front of `app.config.errorHandler` while the app lives: the app's
 * own handler, set before or after `app.use(createRecorder())`, still runs after the recording.
 * Errors raised while `holding()` is true (the app's first render, before recording starts) are
 * recorded by `release()`. Returns the function that puts the app's own handler back.
 */
export function chainErrorHandler(
  app: App,
  recorder: Recorder,
  holding: () => boolean,
): { release(): void; restore(): void } {
  const { config } = app;
  let own = config.errorHandler;
  let handling = false;
  const held: Array<Parameters<ErrorHandler>> = [];
  const handler: ErrorHandler = (error, instance, info) => {
    // A handler that calls the one it replaced (read back from app.config) comes back here: once is enough.
    if (handling) return;
    handling = true;
    try {
      if (holding()) held.push([error, instance, info]);
      else recordVueError(recorder, error, instance, info);
      if (own) own(error, instance, info);
      else console.error(error);
    } finally {
      handling = false;
    }
  };
  Object.defineProperty(config, 'errorHandler', {
    configurable: true,
    enumerable: true,
    get: () => handler,
    set: (value: ErrorHandler | undefined) => {
      own = value;
    },
  });
  return {
    release: () => {
      for (const args of held.splice(0)) recordVueError(recorder, ...args);
    },
    restore: () => {
      Object.defineProperty(config, 'errorHandler', {
        configurable: true,
        enumerable: true,
        writable: true,
        value: own,
      });
    },
  };
}
