import { enableAutoUnmount } from '@vue/test-utils';
import { afterEach } from 'vitest';
import { createApp, h, type App, type Component } from 'vue';

export { eventSink } from '@reprise/test-support';

// What @vue/test-utils' mount() rendered is unmounted after each test, so its recorder releases the page.
enableAutoUnmount(afterEach);

const mounted: App[] = [];

/** A real app in its own element of the page, unmounted by `cleanupRecorders()`. */
export function mountApp(root: Component, setup: (app: App) => void = () => {}): { app: App; element: HTMLElement } {
  const element = document.createElement('div');
  document.body.append(element);
  const app = createApp({ render: () => h(root) });
  setup(app);
  app.mount(element);
  mounted.push(app);
  return { app, element };
}

/**
 * Unmount what the test mounted and let the recorders stop before the next test: the core stops
 * a released recorder a tick later, and the next test's recorder must find the page free.
 */
export async function cleanupRecorders(): Promise<void> {
  for (const app of mounted.splice(0)) {
    if (app._container) app.unmount();
  }
  document.body.replaceChildren();
  await new Promise((resolve) => setTimeout(resolve, 0));
  sessionStorage.clear();
  localStorage.clear();
}
