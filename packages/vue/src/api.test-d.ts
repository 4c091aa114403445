import { describe, expectTypeOf, test } from 'vitest';
import type { App, DeepReadonly, InjectionKey, ObjectDirective, Ref } from 'vue';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import type { Recorder, RecorderOptions } from '@reprise/core';
import {
  createRecorder,
  RecorderKey,
  routerMarkers,
  useRecorder,
  useRouterMarkers,
  vRepriseMask,
  vueErrorHandler,
  type CreateRecorderOptions,
  type MarkableRouter,
  type RecorderPlugin,
  type UseRecorderResult,
} from './index.js';

declare const recorder: Recorder;
declare const app: App;

describe('public types', () => {
  test("createRecorder() takes the core's options or a recorder, never both, and a router with either", () => {
    expectTypeOf<RecorderOptions>().toExtend<CreateRecorderOptions>();
    expectTypeOf<{ recorder: Recorder }>().toExtend<CreateRecorderOptions>();
    expectTypeOf<{ recorder: Recorder; router: Router }>().toExtend<CreateRecorderOptions>();
    expectTypeOf<{ project: string; router: Router }>().toExtend<CreateRecorderOptions>();
    expectTypeOf<{ recorder: Recorder; project: string }>().not.toExtend<CreateRecorderOptions>();
    expectTypeOf(createRecorder).returns.toEqualTypeOf<RecorderPlugin>();
    expectTypeOf(createRecorder().recorder).toEqualTypeOf<Recorder>();
    // It is a plugin app.use() accepts.
    app.use(createRecorder({ project: 'dev' }));
  });

  test('useRecorder() returns the recorder methods and a readonly session id ref', () => {
    expectTypeOf(useRecorder).returns.toEqualTypeOf<UseRecorderResult>();
    expectTypeOf<UseRecorderResult['sessionId']>().toEqualTypeOf<Readonly<Ref<string | null>>>();
    expectTypeOf<UseRecorderResult['sessionId']['value']>().toEqualTypeOf<string | null>();
    expectTypeOf<UseRecorderResult['track']>().toEqualTypeOf<Recorder['track']>();
    expectTypeOf<UseRecorderResult['identify']>().parameters.toEqualTypeOf<Parameters<Recorder['identify']>>();
    expectTypeOf<UseRecorderResult['markNavigation']>().toEqualTypeOf<Recorder['markNavigation']>();
    expectTypeOf<UseRecorderResult>().toHaveProperty('optOut');
    expectTypeOf<UseRecorderResult>().toHaveProperty('start');
    expectTypeOf<UseRecorderResult>().toHaveProperty('stop');
    expectTypeOf<UseRecorderResult['recorder']>().toEqualTypeOf<Recorder>();
    // @ts-expect-error the session id is readonly
    useRecorder().sessionId.value = 'forged';
  });

  test('injection key and directives', () => {
    expectTypeOf(RecorderKey).toEqualTypeOf<InjectionKey<Recorder>>();
    expectTypeOf(vRepriseMask).toEqualTypeOf<ObjectDirective<Element, boolean | undefined>>();
    expectTypeOf<DeepReadonly<boolean>>().toEqualTypeOf<boolean>();
  });

  test('router markers take any Vue Router 4 router', () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [] });
    expectTypeOf(router).toExtend<MarkableRouter>();
    expectTypeOf(routerMarkers(router, recorder)).toEqualTypeOf<() => void>();
    expectTypeOf(useRouterMarkers).parameter(0).toEqualTypeOf<MarkableRouter>();
    createRecorder({ router });
    // @ts-expect-error a router needs afterEach, currentRoute and its history
    routerMarkers({}, recorder);
  });

  test('the error handler fits app.config.errorHandler', () => {
    app.config.errorHandler = vueErrorHandler(recorder);
    expectTypeOf(vueErrorHandler(recorder)).toExtend<NonNullable<App['config']['errorHandler']>>();
  });
});
