// The root's settings, and Angular's parser for the component templates (`*.html`): Prettier infers it
// only for `*.component.html`, and its HTML parser flattens the templates' `@if`/`@for` blocks.
// Prettier takes the nearest config alone, so this one spreads the root's.
import root from '../../.prettierrc.json' with { type: 'json' };

/** @type {import('prettier').Config} */
export default { ...root, overrides: [{ files: '*.html', options: { parser: 'angular' } }] };
