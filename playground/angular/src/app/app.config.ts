import {
  ErrorHandler,
  Injectable,
  inject,
  provideZonelessChangeDetection,
  signal,
  type ApplicationConfig,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { provideRecorder, RecorderErrorHandler, withRouterMarkers, type Recorder } from '@reprise/angular';
import { routes } from './app.routes';
import { PLAYGROUND_NETWORK } from '../../../shared/app';

declare global {
  interface Window {
    /** The playground's recorder, for devtools (`reprise.flush()`) and the end-to-end test. */
    reprise?: Recorder;
  }
}

/** The collector recordings go to: the index's `reprise-endpoint` meta tag (the local collector by default). */
const endpoint =
  document.querySelector<HTMLMetaElement>('meta[name="reprise-endpoint"]')?.content || 'http://127.0.0.1:4400';

/** The last error Angular caught, for the layout's alert (the role an error boundary's fallback has in React). */
@Injectable({ providedIn: 'root' })
export class LastError {
  readonly message = signal<string | null>(null);
}

/** Records the error (RecorderErrorHandler), lets Angular log it, then shows it. */
class PlaygroundErrorHandler extends RecorderErrorHandler {
  private readonly lastError = inject(LastError);
  override handleError(error: unknown): void {
    super.handleError(error);
    // After the change detection pass the error broke has unwound: a signal set inside it is not
    // rendered, since the broken view is not checked again.
    queueMicrotask(() => this.lastError.message.set(error instanceof Error ? error.message : String(error)));
  }
}

export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding()),
    // withErrorHandler() would provide RecorderErrorHandler as it is; this app extends it to show the error.
    provideRecorder({ project: 'dev', endpoint, network: PLAYGROUND_NETWORK }, withRouterMarkers()),
    { provide: ErrorHandler, useFactory: () => new PlaygroundErrorHandler() },
  ],
};
