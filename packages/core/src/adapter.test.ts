import { describe, expect, test } from 'vitest';
import { createRecorder, RECORDER_METHODS, recorderMethods, resolveRecorder, type Recorder } from './index.js';
import { capturedErrorPayload } from './capture/custom.js';
import { navigationPayload } from './capture/navigation.js';
import { createNavigationMarkers } from './navigation-markers.js';

describe('recorderMethods', () => {
  test('hands out the listed methods, bound, so they work destructured', () => {
    const recorder = createRecorder({ requireConsent: true });
    const methods = recorderMethods(recorder);
    expect(Object.keys(methods)).toEqual([...RECORDER_METHODS]);
    expect(RECORDER_METHODS).toEqual(['identify', 'track', 'markNavigation', 'start', 'stop', 'optOut', 'replayUrl']);
    const calls: string[] = [];
    const spy = { ...recorder } as Recorder;
    for (const name of RECORDER_METHODS) {
      (spy as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(`${name}:${this === spy}:${JSON.stringify(args)}`);
      };
    }
    const { identify, track, markNavigation, start, stop, optOut, replayUrl } = recorderMethods(spy);
    identify('u1', { plan: 'pro' });
    track('checkout');
    markNavigation({ url: '/a' });
    start();
    stop();
    optOut();
    replayUrl({ at: 5 });
    expect(calls).toEqual([
      'identify:true:["u1",{"plan":"pro"}]',
      'track:true:["checkout"]',
      'markNavigation:true:[{"url":"/a"}]',
      'start:true:[]',
      'stop:true:[]',
      'optOut:true:[]',
      'replayUrl:true:[{"at":5}]',
    ]);
  });

  test('the same object for the same recorder, another for another recorder', () => {
    const one = createRecorder();
    const other = createRecorder();
    expect(recorderMethods(one)).toBe(recorderMethods(one));
    expect(recorderMethods(one).track).toBe(recorderMethods(one).track);
    expect(recorderMethods(one)).not.toBe(recorderMethods(other));
  });
});

describe('resolveRecorder', () => {
  test('a given recorder is used as it is; options (or nothing) make a new one', () => {
    const given = createRecorder();
    expect(resolveRecorder({ recorder: given })).toBe(given);
    const fromOptions = resolveRecorder({ requireConsent: true });
    expect(fromOptions).not.toBe(given);
    expect(typeof fromOptions.mount).toBe('function');
    expect(resolveRecorder()).not.toBe(resolveRecorder());
  });
});

describe('what framework integrations add to markers and errors', () => {
  test('a route name reaches the marker and the recorded payload; a symbol name by its description', () => {
    const marked: unknown[] = [];
    const markers = createNavigationMarkers({
      markNavigation: (marker) => void marked.push(marker),
      claimNavigation: () => () => {},
    });
    markers.routeChanged({ url: '/users/1', route: '/users/:id', name: 'user', params: { id: '1' } });
    markers.routeChanged({ url: '/teams', route: '/teams', name: Symbol('teams') });
    markers.routeChanged({ url: '/anonymous', route: '/anonymous', name: Symbol() });
    markers.routeChanged({ url: '/unnamed', route: '/unnamed', name: null });
    expect(marked).toEqual([
      { url: '/users/1', route: '/users/:id', name: 'user', params: { id: '1' }, navigationType: 'initial' },
      { url: '/teams', route: '/teams', name: 'teams', navigationType: 'push' },
      { url: '/anonymous', route: '/anonymous', navigationType: 'push' },
      { url: '/unnamed', route: '/unnamed', navigationType: 'push' },
    ]);
    expect(navigationPayload({ url: '/users/1', route: '/users/:id', name: 'user' })).toEqual({
      url: '/users/1',
      route: '/users/:id',
      name: 'user',
    });
  });

  test("an error keeps the component it came from and where (Vue's info), capped like its stack", () => {
    expect(
      capturedErrorPayload(new Error('boom'), { framework: 'vue', component: 'UserCard', info: 'mounted hook' }),
    ).toMatchObject({
      source: 'framework',
      message: 'boom',
      framework: 'vue',
      component: 'UserCard',
      info: 'mounted hook',
    });
    const long = capturedErrorPayload('x', {
      framework: 'vue',
      component: 'C'.repeat(20_000),
      info: 'i'.repeat(20_000),
    });
    expect(long.component!.length).toBeLessThan(20_000);
    expect(long.info!.endsWith('…')).toBe(true);
    expect('component' in capturedErrorPayload('y')).toBe(false);
  });
});
