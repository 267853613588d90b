#!/usr/bin/env -S node --max-semi-space-size=4
// The `fjord` command. The TypeScript sources are compiled to dist/ by `npm run build`.
//
// Run it as `bin/fjord.js ...` (make run, the image's ENTRYPOINT, npm's `fjord` bin), so the V8
// flags above apply: a 4 MiB young-generation semi-space instead of V8's 16 MiB. Measured with
// ProducerPerformance (300k x 1 KiB, 1 partition, acks=1): 16 MiB peaks at ~107 MiB resident, 4 MiB at ~94 MiB, and
// 2 MiB at ~119 MiB (buffers promoted early wait for a full GC) and ~12% more CPU.
// `node bin/fjord.js` also works, without them. Tests start it through fjordCommand()
// (test/harness/tools.ts), which reads these flags from this line.
import { main } from '../dist/broker/src/cli.js';

await main(process.argv.slice(2));
