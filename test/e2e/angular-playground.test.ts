import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/index.js';
import { describePlaygroundScenarios } from './playground-scenarios.js';

// The Angular playground through the shared scenarios (playground-scenarios.ts says what they
// check and the contract every playground keeps). It is built by Angular's own builder in the
// turbo-cached `build` task, not again here; the endpoint meta tag of its index is pointed at the
// test's collector. The crash is caught by Angular and recorded by a RecorderErrorHandler.
const APP_DIR = 'playground/angular/dist/browser';

describePlaygroundScenarios({
  framework: 'angular',
  dir: 'playground/angular',
  builtFiles: [
    'packages/player/dist/reprise-player.iife.js',
    'packages/angular/dist/fesm2022/reprise-angular.mjs',
    `${APP_DIR}/index.html`,
  ],
  frameworkError: { framework: 'angular' },
  prebuilt: {
    outDir: APP_DIR,
    index(endpoint) {
      const built = readFileSync(join(REPO_ROOT, APP_DIR, 'index.html'), 'utf8');
      const pointed = built.replace(/(<meta name="reprise-endpoint" content=")[^"]*(")/, `$1${endpoint}$2`);
      if (pointed === built) throw new Error(`${APP_DIR}/index.html has no reprise-endpoint meta tag`);
      return pointed;
    },
  },
});
