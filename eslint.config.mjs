import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.tsbuild/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Repository scripts and build helpers run on Node.
    files: [
      'scripts/**/*.mjs',
      'tools/**/*.mjs',
      '**/rollup.config.mjs',
      '**/worker/*.mjs',
      'test/bench/**/*.mjs',
      'vitest.shared.mjs',
      'server/bin/*.js',
    ],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Plain scripts the browser tests load into pages, beside the script-tag build (window.Reprise).
    files: ['test/fixtures/**/*.js'],
    languageOptions: { globals: { ...globals.browser, Reprise: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
);
