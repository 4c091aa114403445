import { mount, flushPromises } from '@vue/test-utils';
import { createApp, defineComponent, h, inject, nextTick } from 'vue';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createRecorder as createCoreRecorder, type Recorder } from '@reprise/core';
import { EventType } from '@reprise/protocol';
import { createRecorder, RecorderKey, useRecorder, type UseRecorderResult } from './index.js';
import { cleanupRecorders, eventSink, mountApp } from './test-utils.js';

afterEach(async () => {
  await cleanupRecorders();
  vi.restoreAllMocks();
});

/** A component that keeps what useRecorder() gave it and shows the session id. */
function probe() {
  const seen: { current: UseRecorderResult | null } = { current: null };
  const Probe = defineComponent({
    setup() {
      const result = useRecorder();
      seen.current = result;
      return () => h('p', { 'data-testid': 'session' }, result.sessionId.value ?? 'none');
    },
  });
  return { Probe, seen };
}

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 10 });

describe('createRecorder() plugin lifecycle', () => {
  test('records from app.mount() and stops when the app unmounts', async () => {
    const sink = eventSink();
    const plugin = createRecorder({ onEvents: sink.onEvents });
    const { Probe, seen } = probe();
    const app = createApp(Probe);
    app.use(plugin);
    // Installed, not yet mounted: nothing records (the server never gets further than this).
    expect(plugin.recorder.isRecording).toBe(false);
    const element = document.body.appendChild(document.createElement('div'));
    app.mount(element);
    expect(plugin.recorder.isRecording).toBe(true);
    expect(seen.current!.recorder).toBe(plugin.recorder);
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1));
    await waitFor(() => expect(element.textContent).toBe(plugin.recorder.sessionId));
    expect(seen.current!.sessionId.value).toMatch(/^[0-9a-f]{16,}$/);
    app.unmount();
    // The core waits a tick before stopping, so that an unmount followed by a mount stays one recording.
    await waitFor(() => expect(plugin.recorder.isRecording).toBe(false));
  });

  test('installed on an app that is already mounted, it starts at once', () => {
    const plugin = createRecorder({});
    const { app } = mountApp(defineComponent({ render: () => h('p', 'late') }));
    expect(plugin.recorder.isRecording).toBe(false);
    app.use(plugin);
    expect(plugin.recorder.isRecording).toBe(true);
  });

  test('a recorder made with the core is used as it is, and mounted and released by the app', async () => {
    const recorder = createCoreRecorder({});
    const { Probe, seen } = probe();
    const { app } = mountApp(Probe, (target) => target.use(createRecorder({ recorder })));
    expect(seen.current!.recorder).toBe(recorder);
    expect(recorder.isRecording).toBe(true);
    app.unmount();
    await waitFor(() => expect(recorder.isRecording).toBe(false));
  });

  test('one plugin on two apps of a page: one recording, until the last app unmounts', async () => {
    const sink = eventSink();
    const plugin = createRecorder({ onEvents: sink.onEvents });
    const first = mountApp(defineComponent({ render: () => h('p', 'first app') }), (app) => app.use(plugin));
    const second = mountApp(defineComponent({ render: () => h('p', 'second app') }), (app) => app.use(plugin));
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1));
    first.app.unmount();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(plugin.recorder.isRecording).toBe(true);
    second.app.unmount();
    await waitFor(() => expect(plugin.recorder.isRecording).toBe(false));
    expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1);
  });

  test("two apps with their own recorders: each component gets its own app's recorder", () => {
    // requireConsent: the page records with one recorder at a time; this is about what each app provides.
    const one = createRecorder({ requireConsent: true });
    const other = createRecorder({ requireConsent: true });
    const first = probe();
    const second = probe();
    mountApp(first.Probe, (app) => app.use(one));
    mountApp(second.Probe, (app) => app.use(other));
    expect(first.seen.current!.recorder).toBe(one.recorder);
    expect(second.seen.current!.recorder).toBe(other.recorder);
    expect(one.recorder).not.toBe(other.recorder);
    one.recorder.start();
    expect(first.seen.current!.sessionId.value).toBe(one.recorder.sessionId);
    expect(second.seen.current!.sessionId.value).toBeNull();
  });

  test('the recorder is provided under RecorderKey', () => {
    const plugin = createRecorder({ requireConsent: true });
    let injected: Recorder | undefined;
    mount(
      defineComponent({
        setup: () => {
          injected = inject(RecorderKey);
          return () => null;
        },
      }),
      { global: { plugins: [plugin] } },
    );
    expect(injected).toBe(plugin.recorder);
  });

  test('with requireConsent nothing records until start() from the composable; the session id follows', async () => {
    const sink = eventSink();
    const { Probe, seen } = probe();
    const wrapper = mount(Probe, {
      global: { plugins: [createRecorder({ requireConsent: true, onEvents: sink.onEvents })] },
      attachTo: document.body,
    });
    const { recorder } = seen.current!;
    expect(recorder.isRecording).toBe(false);
    expect(wrapper.text()).toBe('none');
    seen.current!.start();
    expect(recorder.isRecording).toBe(true);
    await nextTick();
    expect(wrapper.text()).toBe(recorder.sessionId);
    seen.current!.optOut();
    expect(recorder.isRecording).toBe(false);
    await nextTick();
    expect(wrapper.text()).toBe('none');
    expect(seen.current!.sessionId.value).toBeNull();
    wrapper.unmount();
  });
});

describe('useRecorder()', () => {
  test('without the plugin it throws an error that names the fix', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { Probe } = probe();
    expect(() => mount(Probe)).toThrow('[@reprise/vue] useRecorder() needs app.use(createRecorder()) first');
    expect(() => useRecorder()).toThrow('[@reprise/vue] useRecorder() needs app.use(createRecorder()) first');
  });

  test('works in app.runWithContext() too, outside components', () => {
    const plugin = createRecorder({ requireConsent: true });
    const app = createApp({ render: () => null }).use(plugin);
    expect(app.runWithContext(() => useRecorder().recorder)).toBe(plugin.recorder);
  });

  test('track, identify and markNavigation reach the recording, and work destructured', async () => {
    const sink = eventSink();
    const { Probe, seen } = probe();
    mountApp(Probe, (app) => app.use(createRecorder({ onEvents: sink.onEvents, navigation: 'manual' })));
    const { identify, track, markNavigation } = seen.current!;
    identify('user-7', { plan: 'team' });
    track('checkout', { items: 3 });
    markNavigation({ url: 'http://localhost/cart', route: '/cart' });
    await waitFor(() => expect(sink.payloads('custom')).toContainEqual({ name: 'checkout', props: { items: 3 } }));
    expect(sink.payloads('identify')).toContainEqual({ userId: 'user-7', traits: { plan: 'team' } });
    expect(sink.payloads('navigation')).toContainEqual(
      expect.objectContaining({ url: 'http://localhost/cart', route: '/cart' }),
    );
  });

  test('sessionId is a readonly ref', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { Probe, seen } = probe();
    mountApp(Probe, (app) => app.use(createRecorder({})));
    await flushPromises();
    const before = seen.current!.sessionId.value;
    (seen.current!.sessionId as { value: string | null }).value = 'forged';
    expect(seen.current!.sessionId.value).toBe(before);
  });
});
