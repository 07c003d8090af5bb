#!/usr/bin/env node
// node reject_broken.js EXPECTATIONS.json DOCUMENT.json KIND
//
// Removes one node from a valid document, writes DOCUMENT.broken-KIND.json, runs validate.js
// on it and passes only if validate.js fails it with a check failure (exit status 1 and a
// "CHECK FAILED" line) — proof that a missing node cannot slip through. KIND:
//   schema     the first subscriber's payload schema (components/schemas/<name>)
//   message    the first subscriber's message (components/messages/<name>)
//   operation  the first subscriber's operation (3.0) or its channel's publish (2.6)
//   required   the `required` list of the first subscriber's payload schema
//   reply      the reply of the first subscriber that has one (3.0)
//   publisher  the first publisher's operation (3.0) or its channel's subscribe (2.6)
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

function main() {
  const [expectations, file, kind] = process.argv.slice(2);
  if (!expectations || !file || !kind) {
    console.error('usage: node reject_broken.js EXPECTATIONS.json DOCUMENT.json KIND');
    return 2;
  }
  const exp = JSON.parse(fs.readFileSync(expectations, 'utf8'));
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const v3 = raw.asyncapi === '3.0.0';
  const sub = exp.endpoints.find((e) => e.kind === 'subscriber');
  const pub = exp.endpoints.find((e) => e.kind === 'publisher');
  const payload = sub.payloads[0].schema;
  const messageRef = v3
    ? raw.channels[sub.channel].messages[Object.keys(raw.channels[sub.channel].messages)[0]].$ref
    : raw.channels[sub.channel].publish.message.$ref;
  const remove = (obj, key, what) => {
    if (!obj || !Object.prototype.hasOwnProperty.call(obj, key)) throw new Error(`${what}: nothing to remove`);
    delete obj[key];
  };
  switch (kind) {
    case 'schema': remove(raw.components.schemas, payload, `schema ${payload}`); break;
    case 'message':
      remove(raw.components.messages, decodeURIComponent(messageRef.split('/').pop()), 'message');
      break;
    case 'operation':
      if (v3) remove(raw.operations, sub.operation, 'operation');
      else remove(raw.channels[sub.channel], 'publish', 'publish');
      break;
    case 'required': remove(raw.components.schemas[payload], 'required', 'required'); break;
    case 'reply': {
      const withReply = exp.endpoints.find((e) => e.reply);
      remove(raw.operations[withReply.operation], 'reply', 'reply');
      break;
    }
    case 'publisher':
      if (v3) remove(raw.operations, pub.operation, 'operation');
      else remove(raw.channels[pub.channel], 'subscribe', 'subscribe');
      break;
    default:
      console.error(`unknown kind ${kind}`);
      return 2;
  }
  const broken = `${file.replace(/\.json$/, '')}.broken-${kind}.json`;
  fs.writeFileSync(broken, JSON.stringify(raw, null, 2));
  const child = spawnSync(process.execPath, [path.join(__dirname, 'validate.js'), expectations, broken],
    { encoding: 'utf8', env: process.env });
  process.stdout.write(child.stdout ?? '');
  process.stderr.write(child.stderr ?? '');
  if (child.status === 1 && /CHECK FAILED/.test(child.stdout)) {
    console.log(`ok: validate.js rejects ${broken}`);
    return 0;
  }
  console.log(`FAIL: validate.js exited with ${child.status} on ${broken} (a check failure, 1, was expected)`);
  return 1;
}

process.exitCode = main();
