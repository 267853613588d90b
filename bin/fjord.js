#!/usr/bin/env -S node --max-semi-space-size=2
// The `fjord` command. The TypeScript sources are compiled to dist/ by `npm run build`.
//
// Run it as `bin/fjord.js ...` (make run, the image's ENTRYPOINT, npm's `fjord` bin), so the V8
// flags above apply: a 2 MiB young-generation semi-space instead of V8's 16 MiB, which keeps
// about 30 MiB less resident under load at no measurable throughput cost (the broker's
// short-lived objects are small; its record data lives outside the V8 heap).
// `node bin/fjord.js` also works, without them. Tests start it through fjordCommand()
// (test/harness/tools.ts), which reads these flags from this line.
import { main } from '../dist/broker/src/cli.js';

await main(process.argv.slice(2));
