#!/usr/bin/env node
// The installed entry: run the compiled CLI (built by `npm ci` through the `prepare` script), then exit once
// stdout is flushed, even if a closed daemon left a handle behind.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
