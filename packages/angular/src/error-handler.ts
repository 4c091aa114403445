import { ErrorHandler, inject } from '@angular/core';
import { recorderFeature, type RecorderFeature } from './provide-recorder';
import { Recorder } from './recorder';

/**
 * Angular's `ErrorHandler` that first records the error (`framework: 'angular'`), then does what
 * Angular's default does (logs it). Extend it to add your own handling after the recording.
 */
export class RecorderErrorHandler extends ErrorHandler {
  private readonly recorder = inject(Recorder);

  override handleError(error: unknown): void {
    this.recorder.captureError(error);
    super.handleError(error);
  }
}

/**
 * Records every error Angular catches (in templates, event handlers, lifecycle hooks), which never
 * reach the page's `error` event that the core listens to, then hands it to Angular's default handler.
 */
export function withErrorHandler(): RecorderFeature<'error-handler'> {
  return recorderFeature('error-handler', [{ provide: ErrorHandler, useFactory: () => new RecorderErrorHandler() }]);
}
