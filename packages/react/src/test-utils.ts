import { cleanup } from '@testing-library/react';

export { eventSink } from '@reprise/test-support';

/**
 * Unmount what the test rendered and let the recorders stop before the next test: the core stops
 * an unmounted recorder a tick later (so StrictMode's remount stays one recording), and tests that
 * start a recorder with start() rather than a provider must find the page free.
 */
export async function cleanupRecorders(): Promise<void> {
  cleanup();
  await new Promise((resolve) => setTimeout(resolve, 0));
  sessionStorage.clear();
  localStorage.clear();
}
