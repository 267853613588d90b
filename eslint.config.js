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
  // The Raft driver and the controller listener's handlers: ports only (Transport, Scheduler,
  // the store on the Disk port); quorum-wiring.ts is the one file that picks the adapters.
  'broker/src/quorum/raft-node.ts',
  'broker/src/quorum/controller-apis.ts',
  // The partition log: files through the Disk port (broker/src/io/disk.ts), the coalesced write
  // through Scheduler.defer; so the crash simulation (test/sim/log-crash.test.ts) can run it.
  'broker/src/log/**/*.ts',
  'broker/src/topics/append-notifier.ts',
  'operator/src/model/**/*.ts',
  'operator/src/controllers/**/*.ts',
];
/**
 * Files inside PURE_MODULES folders that still do I/O themselves, each with its reason.
 * They are about the data directory around the partition logs, not about a log, and run once at
 * start-up, before any log opens:
 */
const IO_EXCEPTIONS = [
  // `.lock`: hard links, readlink, and a Unix socket to probe whether the owner is alive (node:net).
  'broker/src/log/data-dir-lock.ts',
  // Lists the data directory by entry type (directories vs files) and renames stray directories;
  // moves onto the Disk port with the topic registry's split (issue 11 §1, another helper).
  'broker/src/log/partition-dir.ts',
  // Looks for broker data by entry type at first start (see partition-dir.ts).
  'broker/src/log/meta-properties.ts',
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
const SHIPPED_IMPORTS = { group: ['**/test/**'], message: 'Test helpers live in test/, outside the shipped tree.' };
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
    // What ships (broker/src, operator/src, less the tests) never reaches into test/ (the image has no test/).
    files: ['broker/src/**/*.ts', 'operator/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [SHIPPED_IMPORTS] }],
    },
  },
  {
    // After the block above: a later no-restricted-imports replaces an earlier one for the same
    // file, so this one repeats the shipped-tree pattern (it used to come first and was lost).
    files: PURE_MODULES,
    ignores: ['**/*.test.ts', ...IO_EXCEPTIONS],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.map((name) => ({ name, message: 'Pure modules do no I/O: take a port (broker/src/io/) instead.' })),
          patterns: [SHIPPED_IMPORTS],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...TIMERS.map((name) => ({ name, message: 'Pure modules take time from the Clock/Scheduler port (broker/src/io/).' })),
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
