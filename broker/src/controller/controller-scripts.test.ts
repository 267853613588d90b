import { SeededRandom } from '../../../test/sim/random.js';
import { describeGoldenScripts } from '../../../test/harness/golden-scripts.js';
import { ScriptRunner } from './script-runner.js';

/**
 * Golden scripts for the controller (see script-runner.ts for the commands).
 * `FJORD_REWRITE=1 node --test ...` rewrites the expected output in place; review the diff.
 */
describeGoldenScripts(
  'controller scripts',
  'broker/src/controller/testdata',
  import.meta.url,
  () =>
    new ScriptRunner((seed) => {
      const random = new SeededRandom(seed);
      return { nextInt: (bound) => random.int(bound) };
    }),
);
