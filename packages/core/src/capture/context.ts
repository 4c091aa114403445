import type { RepriseKind, ReprisePayloads } from '@reprise/protocol';

/** What every capture plugin gets from the recorder. */
export interface CaptureContext {
  /** Record a Reprise event now (privacy is applied by the recorder before it leaves). */
  emit<K extends RepriseKind>(kind: K, payload: ReprisePayloads[K]): void;
  /** Report a failure inside the plugin; capture goes on. */
  reportError(error: unknown, what: string): void;
}

/** Starting a plugin installs its listeners and patches; the returned function removes them all. */
export type Teardown = () => void;

/** Run every teardown, even if one throws; report failures to `onError`. */
export function runTeardowns(teardowns: Teardown[], onError: (error: unknown) => void): void {
  while (teardowns.length > 0) {
    const teardown = teardowns.pop()!;
    try {
      teardown();
    } catch (error) {
      onError(error);
    }
  }
}
