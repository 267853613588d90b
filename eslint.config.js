// ESLint for the whole tree (`make lint`, run by `make test`; zero warnings allowed).
// Type-aware rules catch what the compiler does not: promises nobody awaits or that are passed
// where a callback's return value is ignored, and switches that miss a case of a union.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders whose modules make decisions only: no file system, sockets or timers (ports do I/O). */
const PURE_MODULES = [
  'broker/src/protocol/**/*.ts',
  'broker/src/handlers/**/*.ts',
  'broker/src/producer-state/**/*.ts',
  'broker/src/group/**/*.ts',
  'broker/src/metadata/**/*.ts',
  'broker/src/raft/**/*.ts',
  'broker/src/config/**/*.ts',
  'broker/src/controller/**/*.ts',
  'broker/src/log/cleaner-plan.ts',
  'broker/src/log/batch-filter.ts',
  'broker/src/log/batch-header.ts',
  'broker/src/topics/append-notifier.ts',
  'operator/src/model/**/*.ts',
  'operator/src/controllers/**/*.ts',
];
const IO_MODULES = [
  'node:fs',
  'node:fs/promises',
  'fs',
  'fs/promises',
  'node:net',
  'net',
  'node:timers',
  'node:timers/promises',
  'timers',
  'timers/promises',
];
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'broker/src/protocol/generated/**', 'test/java/target/**', '.cache/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's describe/it/test return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: PURE_MODULES,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: IO_MODULES.map((name) => ({ name, message: 'Pure modules do no I/O: take a port (broker/src/io/) instead.' })) },
      ],
      'no-restricted-globals': [
        'error',
        ...TIMERS.map((name) => ({ name, message: 'Pure modules take time from the Clock/Scheduler port (broker/src/io/).' })),
      ],
    },
  },
  {
    // What ships (broker/src, operator/src, less the tests) never reaches into test/ (the image has no test/).
    files: ['broker/src/**/*.ts', 'operator/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/**'], message: 'Test helpers live in test/, outside the shipped tree.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
