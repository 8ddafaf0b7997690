// Test-only runner of deploy/aws/statemachine.asl.json on the real imgeda-lambda: walks the
// state machine from the ASL file itself (StartAt, Next/End, Task with Retry, Map with
// ItemReader from S3, ItemSelector, MaxConcurrency, ItemProcessor/Iterator and ResultWriter,
// InputPath/Parameters/ResultSelector/ResultPath/OutputPath), and runs each Task's Lambda
// function as deploy/aws/template.yaml declares it (the handler from ImageConfig.Command, the
// Timeout, the environment) in a local Runtime API (lambda_runtime_api.mjs): one warm instance
// per function, several for a Map's iterations, reused across invocations as Lambda reuses
// execution environments.
//   node lambda_flow.mjs --asl FILE --template FILE --exe imgeda-lambda --input JSON
//        [--s3 ENDPOINT] [--instances N] [--time-scale F] [--handler-env NAME...]
//        [--set-env NAME=VALUE...] [--report FILE]
// --s3: where ItemReader/ResultWriter read and write (s3rver, anonymous requests);
// --instances: the most instances of one function (the machine's cores, not MaxConcurrency);
// --time-scale: Retry intervals are multiplied by it (tests need no real 2 s waits);
// --handler-env: these functions get their handler through $_HANDLER instead of the arguments;
// --set-env: a variable every function gets over the template's (a changed configuration).
// Prints {"status": "SUCCEEDED", "output": ...} or {"status": "FAILED", "error", "cause"} as
// JSON on stdout; --report writes every invocation (function, event, outcome) to FILE.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {FunctionInstance} from './lambda_runtime_api.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The YAML parser asl-validator depends on (pinned in tests/e2e/package-lock.json).
const YAML = createRequire(path.join(here, '../e2e/node_modules/asl-validator/package.json'))('yaml');

function args() {
  const out = {instances: 2, timeScale: 0.01, handlerEnv: [], setEnv: {},
               s3: process.env.AWS_ENDPOINT_URL};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i], v = a[i + 1];
    if (k === '--asl') out.asl = v;
    else if (k === '--template') out.template = v;
    else if (k === '--exe') out.exe = v;
    else if (k === '--input') out.input = JSON.parse(v);
    else if (k === '--s3') out.s3 = v;
    else if (k === '--instances') out.instances = Number(v);
    else if (k === '--time-scale') out.timeScale = Number(v);
    else if (k === '--handler-env') out.handlerEnv.push(v);
    else if (k === '--set-env') out.setEnv[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
    else if (k === '--report') out.report = v;
    else throw new Error(`unknown argument ${k}`);
    i++;
  }
  return out;
}

class StatesError extends Error {
  constructor(name, cause) { super(`${name}: ${cause}`); this.name = name; this.cause = cause; }
}

// ---- JSONPath, as far as Amazon States Language uses it here: $, $.a.b, $$.Map.Item.Value ----
function jsonPath(p, data, context) {
  let root = data, rest;
  if (p.startsWith('$$')) { root = context; rest = p.slice(2); }
  else if (p.startsWith('$')) rest = p.slice(1);
  else throw new StatesError('States.Runtime', `unsupported path ${p}`);
  let v = root;
  for (const seg of rest.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object' || !(seg in v))
      throw new StatesError('States.Runtime', `path ${p} matches nothing`);
    v = v[seg];
  }
  return v;
}

// Parameters, ItemSelector, ResultSelector: keys ending in ".$" take a path's value.
function template(t, data, context) {
  if (Array.isArray(t)) return t.map(x => template(x, data, context));
  if (t === null || typeof t !== 'object') return t;
  const out = {};
  for (const [k, v] of Object.entries(t)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = jsonPath(v, data, context);
    else out[k] = template(v, data, context);
  }
  return out;
}

function applyResultPath(rp, input, result) {
  if (rp === undefined || rp === '$') return result;
  if (rp === null) return input;
  const segs = rp.slice(2).split('.');
  const out = structuredClone(input);
  let o = out;
  for (const s of segs.slice(0, -1)) o = (o[s] ??= {});
  o[segs.at(-1)] = result;
  return out;
}

function inputOf(state, data, context) {
  const eff = state.InputPath === null ? {} : state.InputPath ? jsonPath(state.InputPath, data, context) : data;
  return state.Parameters ? template(state.Parameters, eff, context) : eff;
}

function outputOf(state, data, result, context) {
  if (state.ResultSelector) result = template(state.ResultSelector, result, context);
  const out = applyResultPath(state.ResultPath, data, result);
  return state.OutputPath ? jsonPath(state.OutputPath, out, context) : out;
}

// ---- the functions of the template ----
class Functions {
  constructor(opts) {
    this.opts = opts;
    const tpl = YAML.parse(fs.readFileSync(opts.template, 'utf8'));
    this.resources = tpl.Resources;
    const sm = Object.values(tpl.Resources).find(r => r.Type === 'AWS::StepFunctions::StateMachine');
    this.subs = sm.Properties.DefinitionSubstitutions;
    this.pools = new Map(); // logical id -> {idle: [], all: [], waiters: []}
    this.invocations = [];
  }

  // "${AnalyzeBatchFunctionArn}" -> the function's logical id, via DefinitionSubstitutions.
  logicalId(resource) {
    const m = /^\$\{(\w+)\}$/.exec(resource);
    const sub = m && this.subs[m[1]];
    const ref = sub && (sub['Fn::GetAtt'] || sub['Fn::Sub']);
    if (!ref || !Array.isArray(ref) || ref[1] !== 'Arn')
      throw new StatesError('States.Runtime', `${resource} is no function ARN of the template`);
    return ref[0];
  }

  async instance(id) {
    let pool = this.pools.get(id);
    if (!pool) this.pools.set(id, pool = {idle: [], all: [], waiters: []});
    if (pool.idle.length) return pool.idle.pop();
    if (pool.all.length >= this.opts.instances)
      return new Promise(r => pool.waiters.push(r));
    const props = this.resources[id].Properties;
    const handler = props.ImageConfig.Command[0];
    const env = {...process.env};
    for (const [k, v] of Object.entries(props.Environment?.Variables || {}))
      if (typeof v === 'string') env[k] = v;
    Object.assign(env, this.opts.setEnv);
    const viaEnv = this.opts.handlerEnv.includes(handler);
    if (viaEnv) env._HANDLER = handler;
    const inst = new FunctionInstance({exe: this.opts.exe, args: viaEnv ? [] : [handler], env,
      timeoutMs: (props.Timeout || 3) * 1000, name: `${id}#${pool.all.length + 1}`});
    pool.all.push(inst);
    await inst.start();
    return inst;
  }

  release(id, inst) {
    const pool = this.pools.get(id);
    if (inst.exit) { // Lambda replaces an environment whose runtime died
      pool.all.splice(pool.all.indexOf(inst), 1);
      if (pool.waiters.length) this.instance(id).then(pool.waiters.shift());
      return;
    }
    if (pool.waiters.length) pool.waiters.shift()(inst);
    else pool.idle.push(inst);
  }

  async invoke(resource, event) {
    const id = this.logicalId(resource);
    const inst = await this.instance(id);
    const outcome = await inst.invoke(event);
    this.invocations.push({function: id, instance: inst.name, event, ...outcome});
    this.release(id, inst);
    return outcome;
  }

  async stop() {
    for (const pool of this.pools.values()) await Promise.all(pool.all.map(i => i.stop()));
  }
}

// ---- states ----
function matches(retrier, name) {
  return retrier.ErrorEquals.includes(name) ||
    (retrier.ErrorEquals.includes('States.ALL') && !name.startsWith('States.Runtime'));
}

async function runTask(ctx, state, input) {
  const attempts = new Map();
  for (;;) {
    const out = await ctx.fns.invoke(state.Resource, input);
    if (!out.error) return out.result;
    const name = out.error.errorType || 'Lambda.Unknown';
    const retrier = (state.Retry || []).find(r => matches(r, name));
    const n = attempts.get(retrier) || 0;
    if (!retrier || n >= (retrier.MaxAttempts ?? 3)) throw new StatesError(name, out.error.errorMessage);
    attempts.set(retrier, n + 1);
    const wait = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** n;
    await new Promise(r => setTimeout(r, wait * 1000 * ctx.opts.timeScale));
  }
}

async function s3(ctx, method, bucket, key, body) {
  const url = `${ctx.opts.s3}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const res = await fetch(url, {method, body});
  if (!res.ok) throw new StatesError('States.ItemReaderFailed', `${method} ${url}: ${res.status}`);
  return method === 'GET' ? res.text() : null;
}

async function runMap(ctx, state, data, input) {
  let items;
  if (state.ItemReader) {
    const r = state.ItemReader;
    if (r.Resource !== 'arn:aws:states:::s3:getObject' || r.ReaderConfig?.InputType !== 'JSON')
      throw new StatesError('States.Runtime', 'only ItemReader s3:getObject of JSON is supported');
    const p = template(r.Parameters, input, ctx.context);
    items = JSON.parse(await s3(ctx, 'GET', p.Bucket, p.Key));
  } else {
    items = jsonPath(state.ItemsPath || '$', input, ctx.context);
  }
  if (!Array.isArray(items)) throw new StatesError('States.Runtime', 'the Map items are no array');
  const machine = state.ItemProcessor || state.Iterator;
  const results = new Array(items.length);
  const limit = state.MaxConcurrency || items.length || 1;
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const context = {...ctx.context, Map: {Item: {Index: i, Value: items[i]}}};
      const itemInput = state.ItemSelector ? template(state.ItemSelector, input, context) :
        state.Parameters ? template(state.Parameters, input, context) : items[i];
      results[i] = await runMachine({...ctx, context}, machine, itemInput);
    }
  };
  await Promise.all(Array.from({length: Math.min(limit, Math.max(items.length, 1))}, worker));
  if (!state.ResultWriter) return results;
  const w = template(state.ResultWriter.Parameters, input, ctx.context);
  const runId = `map-run-${Date.now()}`;
  const key = `${w.Prefix.replace(/\/?$/, '/')}${runId}/SUCCEEDED_0.json`;
  await s3(ctx, 'PUT', w.Bucket, key, JSON.stringify(results.map(r => ({Output: JSON.stringify(r)}))));
  return {MapRunArn: runId, ResultWriterDetails: {Bucket: w.Bucket, Key: key}};
}

async function runMachine(ctx, machine, data) {
  let name = machine.StartAt;
  for (;;) {
    const state = machine.States[name];
    if (!state) throw new StatesError('States.Runtime', `no state ${name}`);
    ctx.trace.push(name);
    if (state.Type === 'Task') {
      data = outputOf(state, data, await runTask(ctx, state, inputOf(state, data, ctx.context)), ctx.context);
    } else if (state.Type === 'Map') {
      const input = state.InputPath ? jsonPath(state.InputPath, data, ctx.context) : data;
      data = outputOf(state, data, await runMap(ctx, state, data, input), ctx.context);
    } else if (state.Type === 'Pass') {
      data = outputOf(state, data, state.Result ?? inputOf(state, data, ctx.context), ctx.context);
    } else if (state.Type === 'Succeed') {
      return data;
    } else if (state.Type === 'Fail') {
      throw new StatesError(state.Error || 'States.Fail', state.Cause || '');
    } else {
      throw new StatesError('States.Runtime', `state type ${state.Type} is not supported here`);
    }
    if (state.End) return data;
    name = state.Next;
  }
}

const opts = args();
const asl = JSON.parse(fs.readFileSync(opts.asl, 'utf8'));
const fns = new Functions(opts);
const ctx = {opts, fns, trace: [], context: {Execution: {Name: `local-${Date.now()}`}}};
let verdict;
try {
  const output = await runMachine(ctx, asl, opts.input);
  verdict = {status: 'SUCCEEDED', output, states: ctx.trace};
} catch (e) {
  if (!(e instanceof StatesError)) throw e;
  verdict = {status: 'FAILED', error: e.name, cause: e.cause, states: ctx.trace};
} finally {
  await fns.stop();
}
if (opts.report) {
  const inits = [...fns.pools.values()].flatMap(p => p.all).filter(i => i.initError)
    .map(i => ({instance: i.name, initError: i.initError}));
  fs.writeFileSync(opts.report, JSON.stringify({invocations: fns.invocations, inits}, null, 1));
}
console.log(JSON.stringify(verdict));
process.exit(verdict.status === 'SUCCEEDED' ? 0 : 1);
