#!/usr/bin/env node
// The `kdp` binary: only runs the CLI (cli.ts) with the real process around it. The shebang is for installs whose
// bin link still points here rather than at bin/kdp.js.
import { run } from './cli.js';
import { processIo } from './io.js';

const code = await run(process.argv.slice(2), processIo());
process.exitCode = code;
