#!/usr/bin/env node
// Runs the CLI from the TypeScript sources in a checkout, or from the build (dist/) in an installed package,
// which ships no sources.
const path = require('node:path');
const fs = require('node:fs');
const source = path.join(__dirname, '..', 'cli', 'program.ts');
let program;
if (fs.existsSync(source)) {
  require('tsx/cjs');
  program = require(source);
} else {
  program = require(path.join(__dirname, '..', 'dist', 'cli', 'program.js'));
}
program.main(process.argv).then((code) => process.exit(code));
