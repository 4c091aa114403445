import { VERSION } from '@angular/core';
import { VERSION as ROUTER_VERSION } from '@angular/router';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { expect, test } from 'vitest';
import { provideRecorder, withRouterMarkers } from '@reprise/angular';

// Guards that the aliases hold: if Angular 20 (the repository's) slipped back in, this workspace
// would run the package's tests a second time against the same major and prove nothing.
test('Angular 21 runs these tests, for the tests and for @reprise/angular alike', () => {
  expect(VERSION.major).toBe('21');
  expect(ROUTER_VERSION.major).toBe('21');
  TestBed.configureTestingModule({ providers: [provideRecorder({ requireConsent: true }, withRouterMarkers())] });
  // The router the package injects is the one of Angular 21: a second Angular would have no provider for it.
  expect(TestBed.inject(Router)).toBeInstanceOf(Router);
});
