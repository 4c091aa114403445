import { Component, ErrorHandler, NgModule, inject, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, RouterModule, RouterOutlet } from '@angular/router';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { MASK_ATTRIBUTE } from '@reprise/core';
import { Recorder, RecorderErrorHandler, RecorderModule, withErrorHandler, withRouterMarkers } from './index';
import { eventSink, eventually, settle } from './test-utils';

afterEach(async () => {
  TestBed.resetTestingModule();
  await settle();
  window.history.replaceState(null, '', '/');
});

@Component({
  selector: 'app-user',
  standalone: false,
  template: `<p id="secret" repriseMask>card 4242</p>
    <p>session {{ recorder.sessionId() }}</p>`,
})
class UserPage {
  readonly recorder = inject(Recorder);
}

@Component({ selector: 'app-root', imports: [RouterOutlet], template: `<router-outlet />` })
class Root {}

// A lazy module that (wrongly) calls forRoot() again.
@NgModule({
  imports: [RecorderModule.forRoot({}), RouterModule.forChild([{ path: '', component: UserPage }])],
  declarations: [UserPage],
})
class LazyWithForRoot {}

// A lazy module that imports the module for its directives, as it should.
@NgModule({
  imports: [RecorderModule, RouterModule.forChild([{ path: ':userId', component: UserPage }])],
  declarations: [UserPage],
})
class LazyUsers {}

function setUp(sink: ReturnType<typeof eventSink>) {
  TestBed.configureTestingModule({
    imports: [
      RecorderModule.forRoot({ onEvents: sink.onEvents, console: false }, withRouterMarkers(), withErrorHandler()),
      RouterModule.forRoot([
        { path: 'users', loadChildren: () => LazyUsers },
        { path: 'again', loadChildren: () => LazyWithForRoot },
      ]),
    ],
    providers: [provideZonelessChangeDetection()],
    rethrowApplicationErrors: false,
  });
  return TestBed.createComponent(Root);
}

describe('RecorderModule.forRoot()', () => {
  test('provides the injectable recorder, the features, and the directives to NgModule components (also lazy ones)', async () => {
    const sink = eventSink();
    const fixture = setUp(sink);
    const recorder = TestBed.inject(Recorder);
    expect(recorder.isRecording()).toBe(true);
    expect(TestBed.inject(ErrorHandler)).toBeInstanceOf(RecorderErrorHandler);

    expect(await TestBed.inject(Router).navigateByUrl('/users/42')).toBe(true);
    await fixture.whenStable();
    const page = fixture.nativeElement as HTMLElement;
    expect(page.querySelector('#secret')!.getAttribute(MASK_ATTRIBUTE)).toBe('');
    expect(page.textContent).toContain(`session ${recorder.sessionId()}`);
    await eventually(() =>
      expect(sink.payloads('navigation')).toEqual([
        expect.objectContaining({ route: '/users/:userId', params: { userId: '42' } }),
      ]),
    );
  });

  test('a second forRoot(), in a lazy module, is refused with a clear error', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const sink = eventSink();
    setUp(sink);
    const router = TestBed.inject(Router);
    await expect(router.navigateByUrl('/again')).rejects.toThrow('[@reprise/angular] the recorder is provided twice');
    // The app's recorder goes on.
    expect(TestBed.inject(Recorder).isRecording()).toBe(true);
  });

  test('forRoot() twice in the same module is refused too', () => {
    TestBed.configureTestingModule({
      imports: [RecorderModule.forRoot({}), RecorderModule.forRoot({})],
      providers: [provideZonelessChangeDetection()],
    });
    expect(() => TestBed.inject(Recorder)).toThrow(
      '[@reprise/angular] provideRecorder() / RecorderModule.forRoot() is given twice',
    );
  });
});
