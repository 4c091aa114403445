import type { CollectorConfig } from './config.js';
import type { CollectorPlugin } from './collector.js';
import { adminUiPlugin } from './admin-ui.js';
import { sessionsPlugin, sessionsPluginOptionsFromConfig } from './sessions-api/plugin.js';

/**
 * The plugins the CLI installs. The index, playback API, access control and audit register
 * here; their settings are part of the collector's configuration (config.ts).
 */
export function defaultPlugins(config: CollectorConfig): CollectorPlugin[] {
  const sessions = sessionsPlugin(sessionsPluginOptionsFromConfig(config));
  // The admin UI goes first: its /setup page (the SPA's) replaces the sessions API's bare one.
  return [adminUiPlugin({ sessions }), sessions];
}
