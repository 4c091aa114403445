import { createApp, defineComponent, h, nextTick, onMounted, ref } from 'vue';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createRecorder as createCoreRecorder, MAX_ERROR_TEXT_LENGTH } from '@reprise/core';
import { createRecorder, vueErrorHandler } from './index.js';
import { cleanupRecorders, eventSink, mountApp } from './test-utils.js';

afterEach(async () => {
  await cleanupRecorders();
  vi.restoreAllMocks();
});

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 10 });
const frameworkErrors = (sink: ReturnType<typeof eventSink>) =>
  sink.payloads('error').filter((error) => error.source === 'framework');

const Exploding = defineComponent({
  name: 'ExplodingWidget',
  setup() {
    onMounted(() => {
      throw new Error('mounted went wrong');
    });
    return () => h('p', 'widget');
  },
});
const Panel = defineComponent({ name: 'SettingsPanel', render: () => h('section', [h(Exploding)]) });

describe('app.config.errorHandler', () => {
  test("records the error with the component, its trace and Vue's info, then runs the app's own handler", async () => {
    const sink = eventSink();
    const own = vi.fn();
    const { app } = mountApp(Panel, (target) => {
      target.config.errorHandler = own;
      target.use(createRecorder({ onEvents: sink.onEvents, console: false }));
    });
    await waitFor(() => expect(frameworkErrors(sink)).toHaveLength(1));
    expect(frameworkErrors(sink)[0]).toMatchObject({
      message: 'mounted went wrong',
      name: 'Error',
      framework: 'vue',
      component: 'ExplodingWidget',
      info: expect.stringMatching(/mounted hook|runtime-/),
      componentStack: expect.stringMatching(/^at <ExplodingWidget>\nat <SettingsPanel>/),
    });
    expect(own).toHaveBeenCalledOnce();
    expect(own.mock.calls[0]![0]).toMatchObject({ message: 'mounted went wrong' });
    expect(own.mock.calls[0]![1]).toHaveProperty('$options');
    expect(own.mock.calls[0]![2]).toBe(frameworkErrors(sink)[0]!.info);
    // The app reads back its handler's place as the recording one; unmounting puts its own back.
    app.unmount();
    expect(app.config.errorHandler).toBe(own);
  });

  test('a handler set after app.use() still runs after the recording, and one that calls the handler it replaced runs once', async () => {
    const sink = eventSink();
    const calls: string[] = [];
    const broken = ref(false);
    const Toggle = defineComponent({
      name: 'RenderToggle',
      setup: () => () => {
        if (broken.value) throw new Error('render went wrong');
        return h('p', 'fine');
      },
    });
    mountApp(Toggle, (app) => {
      app.use(createRecorder({ onEvents: sink.onEvents, console: false }));
      const replaced = app.config.errorHandler;
      app.config.errorHandler = (error, instance, info) => {
        calls.push(`own: ${(error as Error).message} in ${info}`);
        replaced?.(error, instance, info);
      };
    });
    broken.value = true;
    await nextTick();
    await waitFor(() => expect(frameworkErrors(sink)).toHaveLength(1));
    expect(frameworkErrors(sink)[0]).toMatchObject({ message: 'render went wrong', component: 'RenderToggle' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^own: render went wrong in /);
  });

  test('without an app handler the error is still logged, as Vue does', async () => {
    const sink = eventSink();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    mountApp(Panel, (app) => app.use(createRecorder({ onEvents: sink.onEvents, console: false })));
    await waitFor(() => expect(frameworkErrors(sink)).toHaveLength(1));
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ message: 'mounted went wrong' }));
  });

  test("a deep tree's component trace stops at 100 components, within the core's MAX_ERROR_TEXT_LENGTH", async () => {
    const sink = eventSink();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const Nested: ReturnType<typeof defineComponent> = defineComponent({
      name: 'AVeryLongComponentNameThatRepeatsItselfQuiteSomeTimes',
      props: { depth: { type: Number, required: true } },
      setup: (props) => () => (props.depth === 0 ? h(Exploding) : h(Nested, { depth: props.depth - 1 })),
    });
    mountApp(
      () => h(Nested, { depth: 99 }),
      (app) => app.use(createRecorder({ onEvents: sink.onEvents, console: false })),
    );
    await waitFor(() => expect(frameworkErrors(sink)).toHaveLength(1));
    const trace = frameworkErrors(sink)[0]!.componentStack!;
    // 100 levels at most are walked, and the core caps the text whatever its length.
    expect(trace.split('\n')).toHaveLength(100);
    expect(trace.length).toBeLessThanOrEqual(MAX_ERROR_TEXT_LENGTH);
  });

  test('vueErrorHandler() for an app that records with a recorder it does not install', async () => {
    const sink = eventSink();
    const recorder = createCoreRecorder({ onEvents: sink.onEvents, console: false });
    recorder.start();
    const next = vi.fn();
    const app = createApp(Panel);
    app.config.errorHandler = vueErrorHandler(recorder, next);
    app.mount(document.body.appendChild(document.createElement('div')));
    // Recording started before the app mounted, so the mounted hook's error is recorded at once.
    await waitFor(() =>
      expect(frameworkErrors(sink)).toContainEqual(
        expect.objectContaining({ message: 'mounted went wrong', framework: 'vue', component: 'ExplodingWidget' }),
      ),
    );
    expect(next).toHaveBeenCalledOnce();
    app.unmount();
    recorder.stop();
  });
});
