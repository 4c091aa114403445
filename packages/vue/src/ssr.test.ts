// @vitest-environment node
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { trapBrowserGlobals, type BrowserGlobalTraps } from '@reprise/test-support';

// Every global a browser has and Node has not: reading any of them while rendering on the server is
// a bug, because the same code would throw (or branch differently) on a real server.
let traps: BrowserGlobalTraps;
// Imported once the traps are set: every trap answers undefined, so a use of a browser global while
// importing would throw (dependencies probe with `typeof window` at import, which is fine).
let vue: typeof import('vue');
let server: typeof import('vue/server-renderer');
let router: typeof import('vue-router');
let reprise: typeof import('./index.js');

beforeAll(async () => {
  traps = trapBrowserGlobals();
  vue = await import('vue');
  server = await import('vue/server-renderer');
  router = await import('vue-router');
  reprise = await import('./index.js');
});
beforeEach(() => traps.reset());
afterAll(() => traps.restore());

describe('server-side rendering', () => {
  test('createSSRApp + renderToString: the plugin, composable, directives, components and router markers touch no browser global and start nothing', async () => {
    const { createSSRApp, defineComponent, h, withDirectives, resolveDirective } = vue;
    const { createRecorder, useRecorder, RepriseMask, RepriseBlock, vRepriseUnmask } = reprise;
    const { createMemoryHistory, createRouter, RouterView } = router;
    const warn = vi.spyOn(console, 'warn');
    const UserPage = defineComponent({
      name: 'UserPage',
      setup() {
        const { sessionId, track } = useRecorder();
        track('server-side render');
        return () => [
          h('small', `session ${sessionId.value ?? 'pending'}`),
          h(RepriseMask, () => h('p', 'card 4242')),
          h(RepriseBlock, () => 'raw text'),
          withDirectives(h('p', 'balance'), [[resolveDirective('reprise-mask')!]]),
          withDirectives(h('input', { name: 'city' }), [[vRepriseUnmask, true]]),
        ];
      },
    });
    const serverRouter = createRouter({
      history: createMemoryHistory(),
      routes: [{ path: '/users/:id', name: 'user', component: UserPage }],
    });
    const plugin = createRecorder({ project: 'dev', endpoint: 'http://127.0.0.1:4400', router: serverRouter });
    const app = createSSRApp({ render: () => h(RouterView) });
    // Vue's dev build looks for the devtools hook on `window` while creating the app: Vue's own probe.
    traps.reset();
    app.use(serverRouter).use(plugin);
    await serverRouter.push('/users/42');
    await serverRouter.isReady();
    const html = await server.renderToString(app);
    expect(html).toBe(
      '<!--[--><small>session pending</small><p data-reprise-mask>card 4242</p><div data-reprise-block>raw text</div><p data-reprise-mask>balance</p><input name="city" data-reprise-unmask><!--]-->',
    );
    expect(traps.touched).toEqual([]);
    expect(plugin.recorder.isRecording).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });
});
