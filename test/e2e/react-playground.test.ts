import { expect } from 'vitest';
import { describePlaygroundScenarios } from './playground-scenarios.js';

// The React playground through the shared scenarios (playground-scenarios.ts says what they check
// and the contract every playground keeps). Under StrictMode, so "a single full snapshot" also
// proves the double mount is one recording.
describePlaygroundScenarios({
  framework: 'react',
  dir: 'playground/react',
  builtFiles: [
    'packages/player/dist/reprise-player.iife.js',
    'packages/protocol/dist/index.js',
    'packages/core/dist/index.js',
    'packages/react/dist/index.js',
    'packages/react/dist/router.js',
  ],
  frameworkError: { framework: 'react', componentStack: expect.stringMatching(/\S/) },
});
