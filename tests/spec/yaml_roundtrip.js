#!/usr/bin/env node
// node yaml_roundtrip.js DIR — every DIR/X.yaml must load (js-yaml, YAML 1.2 core schema and
// js-yaml's default schema) to exactly the data of DIR/X.json: same types, same key order.
'use strict';

const fs = require('fs');
const path = require('path');
const assert = require('assert');
const yaml = require('js-yaml');

function keyOrder(v, out = []) {
  if (Array.isArray(v)) v.forEach((x) => keyOrder(x, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push(k); keyOrder(x, out); }
  return out;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node yaml_roundtrip.js DIR');
  process.exit(2);
}
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.includes('broken'));
if (files.length === 0) {
  console.error(`no .yaml files in ${dir}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, f.replace(/\.yaml$/, '.json')), 'utf8'));
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  for (const [name, schema] of [['core', yaml.CORE_SCHEMA], ['default', yaml.DEFAULT_SCHEMA]]) {
    try {
      const loaded = yaml.load(text, { schema });
      assert.deepStrictEqual(loaded, json);
      assert.deepStrictEqual(keyOrder(loaded), keyOrder(json));
      console.log(`ok ${f} (${name} schema)`);
    } catch (e) {
      failed += 1;
      console.log(`FAILED ${f} (${name} schema): ${e.message}`);
    }
  }
}
process.exitCode = failed ? 1 : 0;
