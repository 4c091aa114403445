import { expectTypeOf, test } from 'vitest';
import { RecorderProvider } from '../../packages/react/src/index.js';

// Without this, a wrong `paths` mapping would quietly check @reprise/react against React 19's
// types again. The element type is taken from @reprise/react's sources, where the mapping matters
// (this folder would find the 18 types anyway, through test/node_modules).
test("the type tests see React 18's types (an element's props are `any` there, `unknown` in 19)", () => {
  expectTypeOf<ReturnType<typeof RecorderProvider>['props']>().toBeAny();
});
