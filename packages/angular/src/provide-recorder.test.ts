import { Component, ErrorHandler, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { createApplication } from '@angular/platform-browser';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  injectRecorder,
  provideRecorder,
  Recorder,
  RECORDER_OPTIONS,
  RecorderErrorHandler,
  withErrorHandler,
} from './index';
import { eventSink, eventually, settle } from './test-utils';

afterEach(async () => {
  TestBed.resetTestingModule();
  await settle();
  vi.restoreAllMocks();
});

@Component({
  selector: 'app-session',
  template: `<small>session {{ recorder.sessionId() ?? 'pending' }}</small
    ><button type="button" (click)="recorder.track('clicked', { where: 'badge' })">track</button>`,
})
class SessionBadge {
  readonly recorder = injectRecorder();
  constructor() {
    // The same instance either way.
    if (inject(Recorder) !== this.recorder) throw new Error('injectRecorder() and inject(Recorder) differ');
  }
}

describe('provideRecorder()', () => {
  test('inject(Recorder) anywhere: recording starts with the app, sessionId is a signal, calls are recorded', async () => {
    const sink = eventSink();
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        // A project and the admin's address (no endpoint: nothing is sent) for replayUrl().
        provideRecorder({ onEvents: sink.onEvents, console: false, project: 'dev', adminUrl: 'https://admin.example' }),
      ],
    });
    const recorder = TestBed.inject(Recorder);
    expect(recorder.isRecording()).toBe(true);
    expect(recorder.sessionId()).toMatch(/^[0-9a-f]{16,}$/);
    expect(recorder.sessionId()).toBe(recorder.instance.sessionId);
    expect(TestBed.inject(RECORDER_OPTIONS)).toMatchObject({ console: false });

    const fixture = TestBed.createComponent(SessionBadge);
    await fixture.whenStable();
    expect(fixture.nativeElement.textContent).toContain(`session ${recorder.sessionId()}`);
    (fixture.nativeElement as HTMLElement).querySelector('button')!.click();
    recorder.identify('user-7', { plan: 'team' });
    await eventually(() =>
      expect(sink.payloads('custom')).toEqual([
        expect.objectContaining({ name: 'clicked', props: { where: 'badge' } }),
      ]),
    );
    await eventually(() => expect(sink.payloads('identify')).toEqual([expect.objectContaining({ userId: 'user-7' })]));
    // Methods that answer give their answer through the service (run outside the zone).
    expect(recorder.replayUrl()).toBe(`https://admin.example/sessions/${recorder.sessionId()}?project=dev`);

    // The signal follows the core: optOut() ends the session, start() after it does nothing.
    recorder.optOut();
    expect(recorder.isRecording()).toBe(false);
    await fixture.whenStable();
    expect(recorder.sessionId()).toBe(recorder.instance.sessionId);
  });

  test('requireConsent: nothing records until start(), which the signal reflects', async () => {
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideRecorder({ requireConsent: true })],
    });
    const recorder = TestBed.inject(Recorder);
    expect(recorder.isRecording()).toBe(false);
    expect(recorder.sessionId()).toBeNull();
    recorder.start();
    expect(recorder.isRecording()).toBe(true);
    expect(recorder.sessionId()).toMatch(/^[0-9a-f]{16,}$/);
    recorder.stop();
    expect(recorder.isRecording()).toBe(false);
  });

  test('the recorder is destroyed with the application', async () => {
    const appRef = await createApplication({
      providers: [provideZonelessChangeDetection(), provideRecorder({ console: false })],
    });
    const recorder = appRef.injector.get(Recorder);
    expect(recorder.isRecording()).toBe(true);
    const stopped = vi.fn();
    recorder.instance.on('stop', stopped);
    appRef.destroy();
    await eventually(() => expect(recorder.instance.isRecording).toBe(false));
    expect(stopped).toHaveBeenCalledOnce();
  });

  test('without provideRecorder(), inject(Recorder) says what to add', () => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    expect(() => TestBed.inject(Recorder)).toThrow(
      '[@reprise/angular] inject(Recorder) needs provideRecorder(options) in bootstrapApplication providers, or RecorderModule.forRoot(options) in the root NgModule',
    );
  });
});

describe('withErrorHandler()', () => {
  @Component({ selector: 'app-thrower', template: `<button type="button" (click)="fail()">fail</button>` })
  class Thrower {
    fail(): never {
      throw new TypeError('a click handler failed');
    }
  }

  test("an error Angular catches is recorded, then handed to Angular's default handler", async () => {
    const sink = eventSink();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideRecorder({ onEvents: sink.onEvents, console: false }, withErrorHandler()),
      ],
      // TestBed rethrows application errors by default; the app's ErrorHandler is what is tested here.
      rethrowApplicationErrors: false,
    });
    expect(TestBed.inject(ErrorHandler)).toBeInstanceOf(RecorderErrorHandler);
    const fixture = TestBed.createComponent(Thrower);
    await fixture.whenStable();
    (fixture.nativeElement as HTMLElement).querySelector('button')!.click();
    await eventually(() =>
      expect(sink.payloads('error')).toEqual([
        expect.objectContaining({
          source: 'framework',
          framework: 'angular',
          name: 'TypeError',
          message: 'a click handler failed',
        }),
      ]),
    );
    // Angular's own ErrorHandler logs `ERROR`, error: the delegation happened, after the recording.
    expect(logged).toHaveBeenCalledWith('ERROR', expect.objectContaining({ message: 'a click handler failed' }));
  });

  test("without the feature, Angular's handler is untouched", () => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideRecorder({})] });
    expect(TestBed.inject(ErrorHandler)).not.toBeInstanceOf(RecorderErrorHandler);
  });
});
