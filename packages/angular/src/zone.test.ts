// Zone.js first, for the zone-based half of this file (the other test files run zoneless).
import 'zone.js';
import {
  Component,
  NgZone,
  inject,
  type DoCheck,
  provideZoneChangeDetection,
  provideZonelessChangeDetection,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { createApplication } from '@angular/platform-browser';
import { IncrementalSource } from '@rrweb/types';
import { afterEach, describe, expect, test } from 'vitest';
import { createRecorder } from '@reprise/core';
import { provideRecorder, Recorder } from './index';
import { eventSink, eventually, settle } from './test-utils';

// Recording must never make Angular check the app: each mouse move, scroll and DOM mutation the
// recorder observes would otherwise run change detection over the whole tree. Counted here as
// checks of a real application's root component (ngDoCheck runs on every change detection pass).

afterEach(settle);

let checks = 0;

@Component({ selector: 'app-root', template: `<p>session {{ recorder.sessionId() }}</p>` })
class App implements DoCheck {
  readonly recorder = inject(Recorder);
  ngDoCheck(): void {
    checks++;
  }
}

async function bootstrap(changeDetection: Provider | EnvironmentProviders, sink: ReturnType<typeof eventSink>) {
  document.body.replaceChildren(document.createElement('app-root'));
  const appRef = await createApplication({
    providers: [
      changeDetection,
      provideRecorder({ onEvents: sink.onEvents, console: false, sampling: { mousemove: 0, scroll: 0 } }),
    ],
  });
  appRef.bootstrap(App);
  await appRef.whenStable();
  checks = 0;
  return appRef;
}

/** Mouse moves, scrolls and DOM mutations, each observed by the recorder. */
async function busyPage(sink: ReturnType<typeof eventSink>): Promise<void> {
  const scroller = document.createElement('div');
  scroller.style.overflow = 'auto';
  document.body.append(scroller);
  for (let index = 0; index < 10; index++) {
    document.dispatchEvent(new MouseEvent('mousemove', { clientX: index * 10, clientY: index, bubbles: true }));
    scroller.scrollTop = index * 5;
    scroller.dispatchEvent(new Event('scroll'));
    scroller.append(document.createElement('span'));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const incremental = (source: IncrementalSource) =>
    sink.events.filter((event) => event.type === 3 && (event.data as { source: number }).source === source);
  await eventually(() => {
    expect(incremental(IncrementalSource.MouseMove).length).toBeGreaterThan(0);
    expect(incremental(IncrementalSource.Scroll).length).toBeGreaterThan(0);
    expect(incremental(IncrementalSource.Mutation).length).toBeGreaterThan(0);
  });
  // Timers the recorder set while handling them (batching, throttling) have fired too.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('recording causes no change detection', () => {
  test('with zone.js: mouse moves, scrolls and mutations are recorded and cause no change detection', async () => {
    const sink = eventSink();
    const appRef = await bootstrap(provideZoneChangeDetection(), sink);
    // A real zone, not the no-op one of zoneless apps: without the recorder's care, it would tick.
    expect(NgZone.isInAngularZone()).toBe(false);
    expect(appRef.injector.get(NgZone).constructor.name).toBe('NgZone');
    await busyPage(sink);
    expect(checks).toBe(0);
    appRef.destroy();
  });

  test('with zone.js: the same page work, recorded from inside the zone, would run change detection (the count above can fail)', async () => {
    const sink = eventSink();
    const appRef = await bootstrap(provideZoneChangeDetection(), sink);
    appRef.injector.get(Recorder).stop();
    const inside = createRecorder({ onEvents: sink.onEvents, console: false, sampling: { mousemove: 0, scroll: 0 } });
    appRef.injector.get(NgZone).run(() => inside.start());
    checks = 0;
    await busyPage(sink);
    expect(checks).toBeGreaterThan(0);
    inside.stop();
    appRef.destroy();
  });

  test('zoneless (provideZonelessChangeDetection): recorded, no change detection; the sessionId signal still renders', async () => {
    const sink = eventSink();
    const appRef = await bootstrap(provideZonelessChangeDetection(), sink);
    const recorder = appRef.injector.get(Recorder);
    expect(document.querySelector('app-root')!.textContent).toBe(`session ${recorder.sessionId()}`);
    await busyPage(sink);
    expect(checks).toBe(0);

    // A new session is a signal change: that one is rendered.
    recorder.stop();
    window.sessionStorage.clear();
    recorder.start();
    await appRef.whenStable();
    expect(document.querySelector('app-root')!.textContent).toBe(`session ${recorder.sessionId()}`);
    appRef.destroy();
  });
});
