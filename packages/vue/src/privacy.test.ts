import { mount } from '@vue/test-utils';
import { defineComponent, h, nextTick, ref, resolveDirective, withDirectives } from 'vue';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { EventType } from '@reprise/protocol';
import {
  createRecorder,
  RepriseBlock,
  RepriseMask,
  RepriseUnmask,
  vRepriseBlock,
  vRepriseMask,
  vRepriseUnmask,
} from './index.js';
import { cleanupRecorders, eventSink } from './test-utils.js';

afterEach(cleanupRecorders);

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 10 });

describe('privacy directives', () => {
  test("registered by the plugin: v-reprise-mask / -block / -unmask add the core's attributes", () => {
    const App = defineComponent({
      render: () => [
        withDirectives(h('p', 'masked'), [[resolveDirective('reprise-mask')!]]),
        withDirectives(h('img', { alt: '' }), [[resolveDirective('reprise-block')!]]),
        withDirectives(h('input', { name: 'city' }), [[resolveDirective('reprise-unmask')!]]),
      ],
    });
    const wrapper = mount(App, { global: { plugins: [createRecorder({ requireConsent: true })] } });
    expect(wrapper.html({ raw: true })).toBe(
      '<p data-reprise-mask="">masked</p><img alt="" data-reprise-block=""><input name="city" data-reprise-unmask="">',
    );
  });

  test('exported for local registration, and following a boolean binding as it changes', async () => {
    const isPrivate = ref(false);
    const App = defineComponent({
      directives: { RepriseMask: vRepriseMask },
      setup: () => () => withDirectives(h('p', 'balance'), [[vRepriseMask, isPrivate.value]]),
    });
    const wrapper = mount(App);
    expect(wrapper.find('p').attributes()).not.toHaveProperty('data-reprise-mask');
    isPrivate.value = true;
    await nextTick();
    expect(wrapper.find('p').attributes('data-reprise-mask')).toBe('');
    isPrivate.value = false;
    await nextTick();
    expect(wrapper.find('p').attributes()).not.toHaveProperty('data-reprise-mask');
  });

  test('block and unmask follow their binding too; no binding means on', async () => {
    const on = ref(true);
    const App = defineComponent({
      setup: () => () => [
        withDirectives(h('div', 'chart'), [[vRepriseBlock, on.value]]),
        withDirectives(h('input'), [[vRepriseUnmask]]),
      ],
    });
    const wrapper = mount(App);
    expect(wrapper.find('div').attributes('data-reprise-block')).toBe('');
    expect(wrapper.find('input').attributes('data-reprise-unmask')).toBe('');
    on.value = false;
    await nextTick();
    expect(wrapper.find('div').attributes()).not.toHaveProperty('data-reprise-block');
  });
});

describe('privacy components', () => {
  test('<RepriseMask> puts the attribute on a single element child, with no extra element', () => {
    const wrapper = mount(() => h(RepriseMask, () => h('section', { id: 'card', class: 'panel' }, 'secret')));
    expect(wrapper.html({ raw: true })).toBe('<section id="card" class="panel" data-reprise-mask="">secret</section>');
  });

  test('text, several children or a component child get a wrapper that carries the attribute', () => {
    const Card = defineComponent({ props: { title: String }, setup: (props) => () => h('article', props.title) });
    const wrapper = mount(() => [
      h(RepriseMask, () => 'plain text'),
      h(RepriseMask, () => [h('b', 'one'), h('i', 'two')]),
      h(RepriseBlock, () => h(Card, { title: 'component' })),
      h(RepriseUnmask, { as: 'span' }, () => h(Card, { title: 'inline' })),
    ]);
    expect(wrapper.html({ raw: true })).toBe(
      '<div data-reprise-mask="" style="display: contents;">plain text</div>' +
        '<div data-reprise-mask="" style="display: contents;"><b>one</b><i>two</i></div>' +
        '<div data-reprise-block=""><article>component</article></div>' +
        '<span data-reprise-unmask="" style="display: contents;"><article>inline</article></span>',
    );
  });

  test('masked and blocked text never reaches the recording; an unmasked field does; a toggled mask takes effect', async () => {
    const sink = eventSink();
    const isPrivate = ref(false);
    const App = defineComponent({
      setup: () => () => [
        h('p', 'visible words'),
        h(RepriseMask, () => h('p', 'masked words')),
        withDirectives(h('p', 'directive masked words'), [[vRepriseMask]]),
        h(RepriseBlock, () => h('p', 'blocked words')),
        h('input', { name: 'masked-by-default', value: 'Berlin' }),
        h(RepriseUnmask, () => h('input', { name: 'unmasked', value: 'Lisbon' })),
        withDirectives(h('p', { id: 'toggled' }, isPrivate.value ? 'later private words' : 'public words'), [
          [vRepriseMask, isPrivate.value],
        ]),
      ],
    });
    mount(App, { global: { plugins: [createRecorder({ onEvents: sink.onEvents })] }, attachTo: document.body });
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1));
    isPrivate.value = true;
    await nextTick();
    await waitFor(() => expect(sink.ofType(EventType.IncrementalSnapshot).length).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const recorded = JSON.stringify(sink.events);
    expect(recorded).toContain('visible words');
    expect(recorded).toContain('public words');
    expect(recorded).not.toContain('masked words');
    expect(recorded).not.toContain('blocked words');
    expect(recorded).not.toContain('later private words');
    expect(recorded).not.toContain('Berlin');
    expect(recorded).toContain('Lisbon');
  });
});
