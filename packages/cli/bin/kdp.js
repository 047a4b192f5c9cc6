#!/usr/bin/env node
// Committed shim so the bin exists (and is executable) before `npm run build` produced dist/.
import '../dist/main.js';
