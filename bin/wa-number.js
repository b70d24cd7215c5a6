#!/usr/bin/env node
// Runs the TypeScript CLI without a build step.
require('tsx/cjs');
require('../cli/program.ts')
  .main(process.argv)
  .then((code) => process.exit(code));
