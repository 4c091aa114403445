import { expect } from 'vitest';
import { describePlaygroundScenarios } from './playground-scenarios.js';

// The Vue playground through the shared scenarios (playground-scenarios.ts says what they check and
// the contract every playground keeps). Vue Router names its routes, so the markers carry the names
// too; the crash is recorded through app.config.errorHandler with the component and Vue's info.
describePlaygroundScenarios({
  framework: 'vue',
  dir: 'playground/vue',
  builtFiles: [
    'packages/player/dist/reprise-player.iife.js',
    'packages/protocol/dist/index.js',
    'packages/core/dist/index.js',
    'packages/vue/dist/index.js',
  ],
  frameworkError: {
    framework: 'vue',
    component: 'Crash',
    info: expect.any(String),
    componentStack: expect.stringMatching(/^at <Crash>\nat <Home>/),
  },
  routeNames: ['home', 'users', 'user', 'users', 'signup', 'settings', 'signup', 'home'],
});
