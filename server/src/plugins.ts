import type { CollectorConfig } from './config.js';
import type { CollectorPlugin } from './collector.js';
import { adminUiPlugin } from './admin-ui.js';
import { sessionsPlugin, sessionsPluginOptionsFromEnv } from './sessions-api/plugin.js';

/**
 * The plugins the CLI installs. The index, playback API, access control and audit (issue 5)
 * register here; each reads its own REPRISE_* variables from `env`.
 */
export function defaultPlugins(config: CollectorConfig, env: NodeJS.ProcessEnv): CollectorPlugin[] {
  const sessions = sessionsPlugin(sessionsPluginOptionsFromEnv(config, env));
  // The admin UI goes first: its /setup page (the SPA's) replaces the sessions API's bare one.
  return [adminUiPlugin({ sessions }), sessions];
}
