import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_DIR } from './collector.js';

/** Process tests run bin/reprise-collector.js, i.e. dist/: build it from the current sources first. */
export default function setup(): void {
  try {
    execFileSync(
      process.execPath,
      [join(SERVER_DIR, '../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: SERVER_DIR, stdio: 'pipe' },
    );
  } catch (error) {
    // Type errors still emit JavaScript; only a missing entry point is fatal.
    if (!existsSync(join(SERVER_DIR, 'dist/cli.js'))) throw error;
  }
}
