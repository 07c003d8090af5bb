#!/usr/bin/env node
// node parse_only.js DOCUMENT... : each must parse with the official @asyncapi/parser without
// error diagnostics (the recorded reference documents of the examples; their content is
// compared byte for byte by compare_reference.py, and checked against expectations by
// validate.js where an expectations file exists).
'use strict';

const fs = require('fs');
const path = require('path');
const { Parser } = require('@asyncapi/parser');

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node parse_only.js DOCUMENT...');
    process.exit(2);
  }
  const parser = new Parser();
  let failed = false;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const { document, diagnostics } = await parser.parse(text, { source: path.resolve(file) });
    const errors = diagnostics.filter((d) => d.severity === 0);
    if (!document || errors.length > 0) {
      failed = true;
      console.log(`FAIL ${file}`);
      for (const e of errors) console.log(`  ${e.code}: ${e.message} at ${JSON.stringify(e.path)}`);
    } else {
      console.log(`ok   ${file} (AsyncAPI ${document.version()})`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
