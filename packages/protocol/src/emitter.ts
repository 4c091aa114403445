/**
 * The one typed event emitter of the recorder and the player. It lives here, in the package both
 * depend on, rather than in either of them. A listener that throws never stops the others: its
 * error goes to `onListenerError`, so each package reports it its own way.
 */
export interface Emitter<Events> {
  /** Returns the function that removes this listener. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void;
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
  clear(): void;
}

export function createEmitter<Events>(onListenerError: (error: unknown, event: keyof Events) => void): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (!set) return;
      // A copy: a listener may remove itself, or add another, while this event is delivered.
      for (const listener of [...set]) {
        try {
          (listener as (value: typeof payload) => void)(payload);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
