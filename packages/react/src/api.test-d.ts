import type { ReactElement, ReactNode } from 'react';
import { describe, expectTypeOf, test } from 'vitest';
import { createMemoryRouter, type DataRouter } from 'react-router';
import type { Recorder, RecorderOptions } from '@reprise/core';
import {
  Block,
  Mask,
  RecorderErrorBoundary,
  RecorderProvider,
  Unmask,
  maskProps,
  reactErrorHandler,
  useRecorder,
  type FallbackProps,
  type RecorderProviderProps,
  type UseRecorderResult,
} from './index.js';
import { RecordedRoutes, RouterMarkers, useRouterMarkers, withRouterMarkers } from './router.js';

declare const recorder: Recorder;

describe('public types', () => {
  test('RecorderProvider takes options or a recorder, never both', () => {
    expectTypeOf<{ options: RecorderOptions }>().toExtend<RecorderProviderProps>();
    expectTypeOf<{ recorder: Recorder }>().toExtend<RecorderProviderProps>();
    expectTypeOf<{ options: RecorderOptions; recorder: Recorder }>().not.toExtend<RecorderProviderProps>();
    expectTypeOf(RecorderProvider).returns.toEqualTypeOf<ReactElement>();
  });

  test('useRecorder() returns the recorder methods and a nullable session id', () => {
    expectTypeOf(useRecorder).returns.toEqualTypeOf<UseRecorderResult>();
    expectTypeOf<UseRecorderResult['sessionId']>().toEqualTypeOf<string | null>();
    expectTypeOf<UseRecorderResult['track']>().toEqualTypeOf<Recorder['track']>();
    expectTypeOf<UseRecorderResult['identify']>().parameters.toEqualTypeOf<Parameters<Recorder['identify']>>();
    expectTypeOf<UseRecorderResult['markNavigation']>().toEqualTypeOf<Recorder['markNavigation']>();
    expectTypeOf<UseRecorderResult>().toHaveProperty('optOut');
    expectTypeOf<UseRecorderResult>().toHaveProperty('start');
    expectTypeOf<UseRecorderResult>().toHaveProperty('stop');
  });

  test('privacy helpers', () => {
    expectTypeOf(maskProps()).toEqualTypeOf<{ 'data-reprise-mask': '' }>();
    expectTypeOf(Mask).parameter(0).toEqualTypeOf<{ children?: ReactNode; as?: string }>();
    expectTypeOf(Block).toEqualTypeOf(Mask);
    expectTypeOf(Unmask).toEqualTypeOf(Mask);
  });

  test('error boundary props', () => {
    expectTypeOf<FallbackProps['reset']>().toEqualTypeOf<() => void>();
    expectTypeOf<ConstructorParameters<typeof RecorderErrorBoundary>[0]>().toHaveProperty('fallback');
    expectTypeOf(reactErrorHandler(recorder)).parameters.toEqualTypeOf<[unknown, { componentStack?: string }]>();
  });

  test('router markers keep the router type', () => {
    const router = withRouterMarkers(createMemoryRouter([]), recorder);
    expectTypeOf(router).toEqualTypeOf<DataRouter>();
    expectTypeOf(useRouterMarkers).returns.toBeVoid();
    expectTypeOf(RouterMarkers).returns.toBeNull();
    expectTypeOf(RecordedRoutes).returns.toEqualTypeOf<ReactElement | null>();
    expectTypeOf(Mask).returns.toEqualTypeOf<ReactElement>();
    // @ts-expect-error a router needs state, subscribe and createHref
    withRouterMarkers({}, recorder);
  });
});
