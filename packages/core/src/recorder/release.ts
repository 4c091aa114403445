/**
 * Stops of recorders whose last mount() was released and that wait their tick before stopping.
 * rrweb records a page once, so a recorder that starts meanwhile (a provider remounted with a new
 * key, or toggled off and on) would be refused by one that is about to stop anyway: instead, the
 * released one stops at once and gives way.
 */
const pendingReleases = new Set<() => void>();

/** Released recorders stop now rather than a tick later, so another one can record the page. */
export function stopReleasedRecorders(): void {
  for (const stopOther of [...pendingReleases]) stopOther();
}

export interface Mounts {
  /** One more holder; the returned function releases it (once). */
  mount(): () => void;
  /** Keep recording: a stop scheduled by the last release is called off. */
  cancelRelease(): void;
}

/** Counts mount() holders; `onIdle` runs a tick after the last one is released, unless re-mounted. */
export function createMounts(onIdle: () => void): Mounts {
  let count = 0;
  let pendingUnmount: ReturnType<typeof setTimeout> | undefined;

  function cancelRelease(): void {
    clearTimeout(pendingUnmount);
    pendingUnmount = undefined;
    pendingReleases.delete(stopReleased);
  }

  /** The stop scheduled by the last release, run early when another recorder starts. */
  function stopReleased(): void {
    cancelRelease();
    if (count === 0) onIdle();
  }

  return {
    mount() {
      count++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        count--;
        if (count > 0) return;
        // React StrictMode unmounts and remounts at once: wait a tick so that stays one recording
        // (unless another recorder starts meanwhile: see pendingReleases).
        cancelRelease();
        pendingUnmount = setTimeout(stopReleased, 0);
        pendingReleases.add(stopReleased);
      };
    },
    cancelRelease,
  };
}
