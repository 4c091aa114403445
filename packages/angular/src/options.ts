import { InjectionToken } from '@angular/core';
import type { RecorderOptions } from '@reprise/core';

/** The options given to `provideRecorder()` / `RecorderModule.forRoot()`. */
export const RECORDER_OPTIONS = new InjectionToken<RecorderOptions>('@reprise/angular RECORDER_OPTIONS');
