import { startConsoleCapture } from '../capture/console.js';
import type { CaptureContext, Teardown } from '../capture/context.js';
import { startErrorCapture } from '../capture/errors.js';
import { startNetworkCapture } from '../capture/network.js';
import type { ResolvedOptions } from '../defaults.js';

/** Console, uncaught errors and network, as the options ask (teardowns as startDomTrackers). */
export function startPageTrackers(config: ResolvedOptions, context: CaptureContext, teardowns: Teardown[]): void {
  if (config.console) teardowns.push(startConsoleCapture(context, config.console));
  if (config.errors) teardowns.push(startErrorCapture(context, window));
  if (config.network) teardowns.push(startNetworkCapture(context, config.network, config.endpoint, window));
}
