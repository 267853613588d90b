#!/usr/bin/env node
// The `fjord` command. The TypeScript sources are compiled to dist/ by `npm run build`.
import { main } from '../dist/broker/src/cli.js';

await main(process.argv.slice(2));
