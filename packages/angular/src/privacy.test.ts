import { Component, provideZonelessChangeDetection, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { EventType } from '@rrweb/types';
import { afterEach, describe, expect, test } from 'vitest';
import { BLOCK_ATTRIBUTE, MASK_ATTRIBUTE, UNMASK_ATTRIBUTE } from '@reprise/core';
import { provideRecorder, Recorder, RepriseBlock, RepriseMask, RepriseUnmask } from './index';
import { eventSink, eventually, settle } from './test-utils';

afterEach(async () => {
  TestBed.resetTestingModule();
  await settle();
});

@Component({
  selector: 'app-panel',
  imports: [RepriseMask, RepriseBlock, RepriseUnmask],
  template: `
    <p id="always" repriseMask>always masked</p>
    <p id="toggled" [repriseMask]="masked()">sometimes masked</p>
    <div id="blocked" [repriseBlock]="blocked()">blocked words</div>
    <input id="city" [repriseUnmask]="unmasked()" value="Lisbon" />
  `,
})
class Panel {
  readonly masked = signal(true);
  readonly blocked = signal(true);
  readonly unmasked = signal(false);
}

describe('repriseMask, repriseBlock, repriseUnmask', () => {
  test('a bare attribute turns the directive on; a bound input is followed when it changes', async () => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    const fixture = TestBed.createComponent(Panel);
    await fixture.whenStable();
    const element = (id: string) => (fixture.nativeElement as HTMLElement).querySelector(`#${id}`)!;
    expect(element('always').getAttribute(MASK_ATTRIBUTE)).toBe('');
    expect(element('toggled').getAttribute(MASK_ATTRIBUTE)).toBe('');
    expect(element('blocked').getAttribute(BLOCK_ATTRIBUTE)).toBe('');
    expect(element('city').hasAttribute(UNMASK_ATTRIBUTE)).toBe(false);

    fixture.componentInstance.masked.set(false);
    fixture.componentInstance.blocked.set(false);
    fixture.componentInstance.unmasked.set(true);
    await fixture.whenStable();
    expect(element('toggled').hasAttribute(MASK_ATTRIBUTE)).toBe(false);
    expect(element('blocked').hasAttribute(BLOCK_ATTRIBUTE)).toBe(false);
    expect(element('city').getAttribute(UNMASK_ATTRIBUTE)).toBe('');
    expect(element('always').getAttribute(MASK_ATTRIBUTE)).toBe('');

    fixture.componentInstance.masked.set(true);
    await fixture.whenStable();
    expect(element('toggled').getAttribute(MASK_ATTRIBUTE)).toBe('');
  });

  test("the attributes are the core's own names", () => {
    expect([MASK_ATTRIBUTE, BLOCK_ATTRIBUTE, UNMASK_ATTRIBUTE]).toEqual([
      'data-reprise-mask',
      'data-reprise-block',
      'data-reprise-unmask',
    ]);
  });

  test('masked and blocked text never reaches the recording; an unmasked field does', async () => {
    const sink = eventSink();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideRecorder({ onEvents: sink.onEvents, console: false })],
    });
    const fixture = TestBed.createComponent(Panel);
    fixture.componentInstance.unmasked.set(true);
    await fixture.whenStable();
    // The full snapshot is taken when recording starts, before the fixture rendered: take another.
    TestBed.inject(Recorder).stop();
    TestBed.inject(Recorder).start();
    await eventually(() => expect(sink.ofType(EventType.FullSnapshot).length).toBeGreaterThanOrEqual(2));
    const recorded = JSON.stringify(sink.events);
    expect(recorded).not.toContain('always masked');
    expect(recorded).not.toContain('sometimes masked');
    expect(recorded).not.toContain('blocked words');
    expect(recorded).toContain('Lisbon');
  });
});
