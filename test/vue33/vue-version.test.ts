import { mount } from '@vue/test-utils';
import { createApp, defineComponent, h, version } from 'vue';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import { expect, test } from 'vitest';

// Without these, a wrong alias would quietly run the suite on the repository's Vue 3.5 again.
test('the suite renders with Vue 3.3, through @vue/test-utils and Vue Router too', async () => {
  expect(version).toMatch(/^3\.3\./);
  // Vue 3.5 added app.onUnmount(): @reprise/vue falls back to wrapping unmount() here.
  expect(typeof (createApp({}) as { onUnmount?: unknown }).onUnmount).toBe('undefined');
  // Vue Router's components only work when it shares this Vue: a second copy renders nothing.
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/users/:id', component: defineComponent({ setup: () => () => h('p', 'user page') }) }],
  });
  await router.push('/users/7');
  const wrapper = mount(() => h(RouterView), { global: { plugins: [router] } });
  expect(wrapper.text()).toBe('user page');
});
