#!/usr/bin/env node
// The `opsplane` command. Runs the TypeScript CLI through tsx, so a fresh clone needs no build
// step and the CLI never runs stale compiled code.
require('tsx/cjs/api').register();
require('../main.ts');
