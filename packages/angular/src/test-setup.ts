// Loaded before every test file (vitest.config.ts). Zone.js is not: only zone.test.ts loads it, the
// other tests run zoneless. The components and directives are compiled
// just in time, so the same tests run on the sources against each Angular major (test/angular21).
import '@angular/compiler';
import { getTestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';

// The server-rendering test runs in Node without a DOM, on the server platform instead.
if (typeof window !== 'undefined') {
  getTestBed().initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), {
    teardown: { destroyAfterEach: true },
  });
}
