import type { RecordedEvent } from '@reprise/protocol/capture';
import { startMutationBreaker } from '../capture/breaker.js';
import type { CaptureContext, Teardown } from '../capture/context.js';
import { startDomCapture } from '../capture/dom.js';
import type { ResolvedCaptureOptions } from '../defaults.js';
import type { RecorderEvents } from '../types.js';
import type { EarlyCapture } from '../capture/early.js';
import type { Report } from './report.js';

/*
 * The capture trackers a recording installs, each returning its teardown (as Datadog's record.ts
 * composes its trackers): rrweb with the mutation breaker in front of it here, then console, errors
 * and network (page-trackers.ts). Apart, so that the early capture, which an app's first chunk and
 * the script tag's first file carry, does not import the others.
 */

export interface DomTrackerHooks {
  push(event: RecordedEvent): void;
  context: CaptureContext;
  report: Report;
  isRecording(): boolean;
  onBreaker(event: RecorderEvents['breaker']): void;
  /** DOM capture already running (the script tag's early capture): taken over instead of started. */
  early?: EarlyCapture;
}

/**
 * rrweb, paused by the mutation breaker while a page mutates too fast and resumed after. Each
 * teardown goes into `teardowns` as soon as its tracker runs, so a start that throws halfway can
 * still take down what it installed.
 */
export function startDomTrackers(config: ResolvedCaptureOptions, hooks: DomTrackerHooks, teardowns: Teardown[]): void {
  if (hooks.early) {
    // Its rrweb records already, and no other can have started meanwhile (capture/dom.ts).
    const adopted = hooks.early.adopt(hooks);
    if (adopted) {
      teardowns.push(adopted);
      return;
    }
  }
  let stopDom: Teardown | undefined;
  const startDom = () => {
    stopDom = startDomCapture(config, hooks.push, (error) => hooks.report(error, 'capture', 'rrweb'));
  };
  const stopDomNow = () => {
    const stop = stopDom;
    stopDom = undefined;
    stop?.();
  };
  const breaker = config.mutationBreaker;
  // The breaker's observer must exist before rrweb's (see capture/breaker.ts).
  if (breaker) {
    const tell = (state: 'paused' | 'resumed', mutations: number) => {
      hooks.context.emit('breaker', { state, mutations, windowMs: breaker.windowMs });
      hooks.onBreaker({ state, mutations });
    };
    teardowns.push(
      startMutationBreaker(document, breaker, {
        onPause(mutations) {
          stopDomNow();
          tell('paused', mutations);
        },
        onResume(mutations) {
          if (!hooks.isRecording()) return;
          startDom();
          tell('resumed', mutations);
        },
        onError: (error) => hooks.report(error, 'capture', 'the mutation breaker'),
      }),
    );
  }
  startDom();
  teardowns.push(stopDomNow);
}
