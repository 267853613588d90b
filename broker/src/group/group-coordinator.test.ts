import { describeGoldenScripts } from '../../../test/harness/golden-scripts.js';
import { ScriptRunner } from './script-runner.js';

/**
 * Golden interaction scripts for the group coordinator (see script-runner.ts for the commands).
 * `FJORD_REWRITE=1 node --test ...` rewrites the expected output in place; review the diff.
 */
describeGoldenScripts('group coordinator scripts', 'broker/src/group/testdata', import.meta.url, () => new ScriptRunner());
