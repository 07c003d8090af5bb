#!/usr/bin/env node
// node validate.js EXPECTATIONS.json DOCUMENT... (JSON or YAML, AsyncAPI 3.0.0 or 2.6.0)
//
// Each document must parse with the official @asyncapi/parser without error diagnostics,
// and contain what EXPECTATIONS says: every subscriber and publisher with its operation and
// action, the $ref of each payload into components/schemas and that schema's `required`
// list, the reply of handlers answering to reply_to (3.0), the info and server, no
// forbidden text (credentials), and no operation the expectations do not list. An endpoint
// that has `bindings` must have exactly those operation bindings (null: none), e.g.
// {"nats": {"queue": "workers", "bindingVersion": "0.1.0"}}; without it they are not checked.
//
// Exit status: 0 all documents pass; 1 a check failed (lines "CHECK FAILED ..."); 2 usage
// or I/O error. Modules come from NODE_PATH (the npm ci fixture of tests/spec).
'use strict';

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { Parser } = require('@asyncapi/parser');

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

const has = (o, k) => o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const show = (v) => JSON.stringify(v);
// Equal data whatever the key order.
const sorted = (v) => (Array.isArray(v) ? v.map(sorted)
  : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
    : v);
const sameData = (a, b) => same(sorted(a), sorted(b));

function resolve(raw, ref) {
  check(typeof ref === 'string' && ref.startsWith('#/'), `not a local $ref: ${show(ref)}`);
  let node = raw;
  for (const part of ref.slice(2).split('/')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    check(has(node, key), `${ref} does not resolve: no "${key}"`);
    node = node[key];
  }
  return node;
}

const SCHEMA_PREFIX = '#/components/schemas/';

// The component key of a message's payload, which must be a $ref into components/schemas.
function payloadName(raw, message, where) {
  check(has(message, 'payload'), `${where}: the message has no payload`);
  const ref = message.payload.$ref;
  check(typeof ref === 'string' && ref.startsWith(SCHEMA_PREFIX),
    `${where}: the payload is not a $ref into components/schemas: ${show(message.payload)}`);
  resolve(raw, ref);
  return decodeURIComponent(ref.slice(SCHEMA_PREFIX.length));
}

function checkMessage(raw, message, where) {
  check(has(message, 'correlationId') && message.correlationId.location === '$message.header#/correlation_id',
    `${where}: correlationId is not $message.header#/correlation_id: ${show(message.correlationId)}`);
}

function checkPayloads(raw, names, expected, where) {
  const want = expected.map((p) => p.schema).sort();
  check(same([...names].sort(), want), `${where}: payloads ${show([...names].sort())}, expected ${show(want)}`);
  for (const p of expected) {
    const schema = raw.components.schemas[p.schema];
    if (has(p, 'required')) {
      check(same(schema.required ?? null, p.required),
        `${where}: schema ${p.schema} required ${show(schema.required)}, expected ${show(p.required)}`);
    }
    if (has(p, 'type')) check(schema.type === p.type, `${where}: schema ${p.schema} type ${show(schema.type)}, expected ${show(p.type)}`);
    if (has(p, 'items')) {
      check(has(schema, 'items') && schema.items.$ref === SCHEMA_PREFIX + p.items,
        `${where}: schema ${p.schema} items ${show(schema.items)}, expected a $ref to ${p.items}`);
    }
  }
}

// The operation's bindings (3.0 operation, 2.6 publish/subscribe), when the endpoint says.
function checkBindings(op, e, where) {
  if (!has(e, 'bindings')) return;
  if (e.bindings === null) {
    check(!has(op, 'bindings'), `${where}: unexpected bindings ${show(op.bindings)}`);
  } else {
    check(has(op, 'bindings') && sameData(op.bindings, e.bindings),
      `${where}: bindings ${show(op.bindings)}, expected ${show(e.bindings)}`);
  }
}

function checkCommon(raw, text, exp, version) {
  check(raw.asyncapi === version, `asyncapi is ${show(raw.asyncapi)}, expected ${version}`);
  check(has(raw, 'info') && raw.info.title === exp.info.title && raw.info.version === exp.info.version,
    `info ${show(raw.info)} does not match ${show(exp.info)}`);
  check((raw.info.description ?? null) === (exp.info.description ?? null),
    `info.description ${show(raw.info.description)}, expected ${show(exp.info.description)}`);
  check(has(raw, 'servers') && has(raw.servers, 'development'), 'no servers.development');
  for (const word of exp.forbidden ?? []) check(!text.includes(word), `the document contains "${word}"`);
  for (const [name, s] of Object.entries(exp.schemas ?? {})) {
    check(has(raw, 'components') && has(raw.components.schemas, name), `no components/schemas/${name}`);
    if (has(s, 'required')) {
      check(same(raw.components.schemas[name].required ?? null, s.required),
        `schema ${name} required ${show(raw.components.schemas[name].required)}, expected ${show(s.required)}`);
    }
  }
}

function checkRawV3(raw, exp) {
  const server = raw.servers.development;
  check(server.host === exp.server.host && server.protocol === exp.server.protocol,
    `server ${show(server)} does not match ${show(exp.server)}`);
  check(has(raw, 'operations') && has(raw, 'channels'), 'no operations or channels');
  const listed = exp.endpoints.map((e) => e.operation).sort();
  check(same(Object.keys(raw.operations).sort(), listed),
    `operations ${show(Object.keys(raw.operations).sort())}, expected ${show(listed)}`);
  for (const e of exp.endpoints) {
    const where = `${e.kind} ${e.operation}`;
    check(has(raw.operations, e.operation), `${where}: no such operation`);
    const op = raw.operations[e.operation];
    const action = e.kind === 'subscriber' ? 'receive' : 'send';
    check(op.action === action, `${where}: action ${show(op.action)}, expected ${action}`);
    checkBindings(op, e, where);
    check(has(raw.channels, e.channel), `${where}: no channel ${e.channel}`);
    const channel = raw.channels[e.channel];
    check(has(op, 'channel') && resolve(raw, op.channel.$ref) === channel,
      `${where}: channel ${show(op.channel)}, expected a $ref to ${e.channel}`);
    check(channel.address === e.address, `${where}: address ${show(channel.address)}, expected ${show(e.address)}`);
    check(Array.isArray(op.messages) && op.messages.length > 0, `${where}: no messages`);
    const names = op.messages.map((m, i) => {
      const entry = resolve(raw, m.$ref);
      check(Object.values(channel.messages ?? {}).includes(entry),
        `${where}: message ${i} is not a message of its channel: ${show(m)}`);
      const message = resolve(raw, entry.$ref);
      checkMessage(raw, message, `${where} message ${i}`);
      return payloadName(raw, message, `${where} message ${i}`);
    });
    check(same(Object.keys(channel.messages).length, op.messages.length),
      `${where}: the channel has ${Object.keys(channel.messages).length} messages, the operation ${op.messages.length}`);
    checkPayloads(raw, names, e.payloads, where);
    if (e.reply) {
      check(has(op, 'reply'), `${where}: no reply`);
      check(has(op.reply, 'address') && op.reply.address.location === '$message.header#/reply_to',
        `${where}: reply address ${show(op.reply.address)}`);
      const replyChannel = resolve(raw, op.reply.channel.$ref);
      check(replyChannel.address === null, `${where}: the reply channel's address is ${show(replyChannel.address)}, expected null`);
      const replyNames = op.reply.messages.map((m, i) => {
        const entry = resolve(raw, m.$ref);
        check(Object.values(replyChannel.messages ?? {}).includes(entry),
          `${where}: reply message ${i} is not a message of the reply channel: ${show(m)}`);
        const message = resolve(raw, entry.$ref);
        checkMessage(raw, message, `${where} reply ${i}`);
        return payloadName(raw, message, `${where} reply ${i}`);
      });
      checkPayloads(raw, replyNames, e.reply, `${where} reply`);
    } else {
      check(!has(op, 'reply'), `${where}: unexpected reply`);
    }
  }
}

function checkRawV2(raw, exp) {
  const server = raw.servers.development;
  const url = `${exp.server.protocol}://${exp.server.host}${exp.server.pathname ?? ''}`;
  check(server.url === url && server.protocol === exp.server.protocol,
    `server ${show(server)} does not match ${url}`);
  check(has(raw, 'channels'), 'no channels');
  const listed = exp.endpoints.map((e) => e.channel).sort();
  check(same(Object.keys(raw.channels).sort(), listed),
    `channels ${show(Object.keys(raw.channels).sort())}, expected ${show(listed)}`);
  for (const e of exp.endpoints) {
    const where = `${e.kind} ${e.channel}`;
    check(has(raw.channels, e.channel), `${where}: no such channel`);
    const channel = raw.channels[e.channel];
    // 2.x operations are the other side's: the application receives what others publish.
    const [section, other] = e.kind === 'subscriber' ? ['publish', 'subscribe'] : ['subscribe', 'publish'];
    check(has(channel, section), `${where}: no ${section} operation`);
    check(!has(channel, other), `${where}: unexpected ${other} operation`);
    const op = channel[section];
    check(op.operationId === e.operation, `${where}: operationId ${show(op.operationId)}, expected ${e.operation}`);
    checkBindings(op, e, where);
    check(has(op, 'message'), `${where}: no message`);
    const refs = has(op.message, 'oneOf') ? op.message.oneOf : [op.message];
    const names = refs.map((m, i) => {
      check(typeof m.$ref === 'string' && m.$ref.startsWith('#/components/messages/'),
        `${where}: message ${i} is not a $ref into components/messages: ${show(m)}`);
      const message = resolve(raw, m.$ref);
      checkMessage(raw, message, `${where} message ${i}`);
      return payloadName(raw, message, `${where} message ${i}`);
    });
    checkPayloads(raw, names, e.payloads, where);
  }
}

// The same facts through the parser's model: operations, actions, payload schema ids.
function checkParsed(document, exp, version) {
  const v3 = version.startsWith('3.');
  for (const e of exp.endpoints) {
    const where = `parsed ${e.kind} ${e.operation}`;
    const op = document.operations().all().find((o) => o.id() === e.operation);
    check(op !== undefined, `${where}: the parser sees no such operation`);
    const action = e.kind === 'subscriber' ? (v3 ? 'receive' : 'publish') : (v3 ? 'send' : 'subscribe');
    check(op.action() === action, `${where}: action ${show(op.action())}, expected ${action}`);
    check(e.kind === 'subscriber' ? op.isReceive() : op.isSend(), `${where}: wrong direction`);
    const payloads = op.messages().all().map((m) => m.payload());
    const ids = payloads.map((s) => s.id()).sort();
    check(same(ids, e.payloads.map((p) => p.schema).sort()), `${where}: payload schemas ${show(ids)}`);
    for (const p of e.payloads) {
      if (!has(p, 'required')) continue;
      const schema = payloads.find((s) => s.id() === p.schema);
      check(same(schema.required() ?? null, p.required), `${where}: ${p.schema} required ${show(schema.required())}`);
    }
    if (has(e, 'bindings')) {
      const want = e.bindings ?? {};
      const protocols = op.bindings().all().map((b) => b.protocol()).sort();
      check(same(protocols, Object.keys(want).sort()), `${where}: bindings for ${show(protocols)}, expected ${show(Object.keys(want).sort())}`);
      for (const [protocol, value] of Object.entries(want)) {
        const binding = op.bindings().get(protocol);
        const { bindingVersion, ...rest } = value;
        check(binding.version() === (bindingVersion ?? 'latest') && sameData(binding.value(), rest),
          `${where}: ${protocol} binding ${show(binding.value())} version ${show(binding.version())}, expected ${show(value)}`);
      }
    }
    if (v3) {
      const reply = op.reply();
      check(Boolean(reply) === Boolean(e.reply), `${where}: reply ${reply ? 'present' : 'absent'}`);
      if (reply) {
        const replyIds = reply.messages().all().map((m) => m.payload().id()).sort();
        check(same(replyIds, e.reply.map((p) => p.schema).sort()), `${where}: reply payloads ${show(replyIds)}`);
      }
    }
  }
}

async function validate(parser, file, exp) {
  const text = fs.readFileSync(file, 'utf8');
  const raw = file.endsWith('.yaml') || file.endsWith('.yml') ? yaml.load(text, { schema: yaml.CORE_SCHEMA }) : JSON.parse(text);
  const { document, diagnostics } = await parser.parse(text, { source: path.resolve(file) });
  const errors = diagnostics.filter((d) => d.severity === 0);
  check(errors.length === 0 && document !== undefined,
    `@asyncapi/parser reports errors:\n${errors.map((d) => `  ${d.code}: ${d.message} at /${d.path.join('/')}`).join('\n')}`);
  const version = raw.asyncapi;
  checkCommon(raw, text, exp, version);
  if (version === '3.0.0') {
    checkRawV3(raw, exp);
  } else if (version === '2.6.0') {
    checkRawV2(raw, exp);
  } else {
    check(false, `unexpected asyncapi version ${show(version)}`);
  }
  checkParsed(document, exp, version);
  const notes = diagnostics.filter((d) => d.severity === 1).map((d) => d.code);
  return `${exp.endpoints.length} endpoints` + (notes.length ? `; parser warnings: ${[...new Set(notes)].join(', ')}` : '');
}

async function main() {
  const [expectations, ...files] = process.argv.slice(2);
  if (!expectations || files.length === 0) {
    console.error('usage: node validate.js EXPECTATIONS.json DOCUMENT...');
    return 2;
  }
  const exp = JSON.parse(fs.readFileSync(expectations, 'utf8'));
  const parser = new Parser();
  let failed = false;
  for (const file of files) {
    try {
      console.log(`ok ${file}: ${await validate(parser, file, exp)}`);
    } catch (e) {
      if (!(e instanceof CheckFailed)) throw e;
      failed = true;
      console.log(`CHECK FAILED ${file}: ${e.message}`);
    }
  }
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(`ERROR: ${e && e.stack ? e.stack : e}`);
  process.exitCode = 2;
});
