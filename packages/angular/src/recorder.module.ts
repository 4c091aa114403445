import { NgModule, type ModuleWithProviders } from '@angular/core';
import type { RecorderOptions } from '@reprise/core';
import { RepriseBlock, RepriseMask, RepriseUnmask } from './privacy';
import { provideRecorder, type RecorderFeature } from './provide-recorder';

/**
 * For NgModule apps: `RecorderModule.forRoot(options, ...features)` once, in the root module;
 * plain `RecorderModule` in other modules for the directives. A second `forRoot()` (a lazy module)
 * throws when its injector is created.
 */
@NgModule({ imports: [RepriseMask, RepriseBlock, RepriseUnmask], exports: [RepriseMask, RepriseBlock, RepriseUnmask] })
export class RecorderModule {
  static forRoot(options: RecorderOptions = {}, ...features: RecorderFeature[]): ModuleWithProviders<RecorderModule> {
    return { ngModule: RecorderModule, providers: [provideRecorder(options, ...features)] };
  }
}
