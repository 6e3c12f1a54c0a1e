#!/usr/bin/env node
// The `palisade` command: runs the TypeScript CLI through SWC.
require('@swc-node/register');
require('../main.ts');
