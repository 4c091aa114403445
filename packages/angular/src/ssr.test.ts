// @vitest-environment node
import { Component, inject, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication, type BootstrapContext } from '@angular/platform-browser';
import { provideServerRendering, renderApplication } from '@angular/platform-server';
import { provideRouter, RouterOutlet } from '@angular/router';
import { describe, expect, test, vi } from 'vitest';
import type { RecordedEvent } from '@reprise/core';
import { provideRecorder, Recorder, RepriseBlock, RepriseMask, withErrorHandler, withRouterMarkers } from './index';

@Component({
  selector: 'app-user',
  imports: [RepriseMask, RepriseBlock],
  template: `<h1>user page</h1>
    <p repriseMask>card 4242</p>
    <div repriseBlock>raw text</div>
    <small>session {{ recorder.sessionId() ?? 'pending' }}</small>`,
})
class UserPage {
  readonly recorder = inject(Recorder);
  constructor() {
    this.recorder.track('rendered');
  }
}

@Component({ selector: 'app-root', imports: [RouterOutlet], template: `<router-outlet />` })
class App {}

// Node has no window, document, history or storage: reading one unguarded would throw here.
describe('server-side rendering', () => {
  test('the app renders on the server platform with every feature, and nothing records or starts', async () => {
    const received: RecordedEvent[] = [];
    let recorder: Recorder | undefined;
    const warn = vi.spyOn(console, 'warn');
    const html = await renderApplication(
      async (context: BootstrapContext) => {
        const appRef = await bootstrapApplication(
          App,
          {
            providers: [
              provideZonelessChangeDetection(),
              provideServerRendering(),
              provideRouter([{ path: 'users/:userId', component: UserPage }]),
              provideRecorder(
                { project: 'dev', endpoint: 'http://127.0.0.1:4400', onEvents: (events) => received.push(...events) },
                withRouterMarkers(),
                withErrorHandler(),
              ),
            ],
          },
          context,
        );
        recorder = appRef.injector.get(Recorder);
        return appRef;
      },
      { document: '<!doctype html><html><head></head><body><app-root></app-root></body></html>', url: '/users/42' },
    );
    // The directives' attributes are in the server's HTML, so the hydrated page is masked from its first snapshot.
    expect(html).toContain(
      '<app-user><h1>user page</h1><p data-reprise-mask="" reprisemask="">card 4242</p><div data-reprise-block="" repriseblock="">raw text</div><small>session pending</small></app-user>',
    );
    expect(recorder!.isRecording()).toBe(false);
    expect(recorder!.instance.sessionId).toBeNull();
    expect(received).toEqual([]);
    // No "start() outside a browser" warning either: the adapter never called it.
    expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('[@reprise'), expect.anything());
    warn.mockRestore();
  });
});
