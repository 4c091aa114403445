import type { TestProject } from 'vitest/node';
import { startTestPostgres } from '@reprise/test-support/process';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL started once for the whole run (see @reprise/test-support/process). */
    postgresAdminUrl: string;
  }
}

/** One PostgreSQL for every test file of the run: starting a cluster costs about a second. */
export default async function setup(project: TestProject) {
  const postgres = await startTestPostgres();
  project.provide('postgresAdminUrl', postgres.adminUrl);
  return () => postgres.stop();
}
