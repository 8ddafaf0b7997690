// Test-only emulator of the AWS Lambda Runtime API (2018-06-01), one per function instance, as
// Lambda gives each execution environment its own: the runtime long-polls
// GET /2018-06-01/runtime/invocation/next, posts .../invocation/ID/response or .../ID/error, or
// .../init/error when it cannot start. invoke(event) queues an event and resolves with
// {result} or {error: {errorType, errorMessage}} once the runtime answers, the deadline passes
// (the instance is then stopped, as Lambda does) or the process dies. Every request is kept in
// `log` so tests can check what the runtime sent.
import http from 'node:http';
import {spawn} from 'node:child_process';
import {randomUUID} from 'node:crypto';

const PREFIX = '/2018-06-01/runtime';

export class FunctionInstance {
  // exe: the runtime binary; args: its arguments (the image's CMD); env: its environment;
  // timeoutMs: the function's timeout; name: for messages.
  constructor({exe, args = [], env = {}, timeoutMs = 60000, name = 'function', arn}) {
    Object.assign(this, {exe, args, env, timeoutMs, name});
    this.arn = arn || `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
    this.queue = [];        // events not yet handed out
    this.waiting = null;    // a held GET .../next
    this.pending = new Map(); // request id -> {resolve, timer}
    this.log = [];          // {method, path, headers, body}
    this.initError = null;
    this.stderr = '';
    this.busy = false;
  }

  async start() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise(r => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    this.proc = spawn(this.exe, this.args, {
      env: {...this.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${this.port}`},
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    this.proc.stderr.on('data', d => { this.stderr += d; process.stderr.write(d); });
    this.exited = new Promise(r => this.proc.on('exit', (code, signal) => {
      this.exit = {code, signal};
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve({error: {errorType: 'Runtime.ExitError',
          errorMessage: `the runtime exited (${signal || code}) during invocation ${id}`}});
      }
      this.pending.clear();
      r();
    }));
  }

  handle(req, res) {
    let body = '';
    req.on('data', d => { body += d; });
    req.on('end', () => {
      this.log.push({method: req.method, path: req.url, headers: req.headers, body});
      const reply = (status, obj) => {
        res.writeHead(status, {'content-type': 'application/json'});
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'GET' && req.url === `${PREFIX}/invocation/next`) {
        this.waiting = res;
        this.handOut();
        return;
      }
      let m = req.url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
      if (req.method === 'POST' && m) {
        const p = this.pending.get(m[1]);
        if (!p) return reply(400, {errorMessage: `unknown request id ${m[1]}`,
                                   errorType: 'InvalidRequestID'});
        this.pending.delete(m[1]);
        clearTimeout(p.timer);
        let parsed;
        try { parsed = JSON.parse(body); } catch (e) {
          parsed = undefined;
        }
        if (m[2] === 'response') {
          if (parsed === undefined)
            p.resolve({error: {errorType: 'Runtime.InvalidResponse',
                               errorMessage: 'the response is not JSON'}});
          else p.resolve({result: parsed});
        } else {
          p.resolve({error: {errorType: parsed?.errorType, errorMessage: parsed?.errorMessage,
                             header: req.headers['lambda-runtime-function-error-type'],
                             body: parsed}});
        }
        return reply(202, {status: 'OK'});
      }
      if (req.method === 'POST' && req.url === `${PREFIX}/init/error`) {
        try { this.initError = JSON.parse(body); } catch (e) { this.initError = {raw: body}; }
        this.initError.header = req.headers['lambda-runtime-function-error-type'];
        return reply(202, {status: 'OK'});
      }
      reply(404, {errorMessage: `no route ${req.method} ${req.url}`});
    });
  }

  handOut() {
    if (!this.waiting || !this.queue.length) return;
    const {id, event} = this.queue.shift();
    const res = this.waiting;
    this.waiting = null;
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': id,
      'lambda-runtime-deadline-ms': String(Date.now() + this.timeoutMs),
      'lambda-runtime-invoked-function-arn': this.arn,
      'lambda-runtime-trace-id': `Root=1-${Date.now().toString(16)}-${id.replace(/-/g, '').slice(0, 24)}`,
    });
    res.end(JSON.stringify(event));
  }

  // Resolves with {result} or {error}; one invocation at a time per instance, as in Lambda.
  invoke(event) {
    const id = randomUUID();
    return new Promise(resolve => {
      if (this.exit) return resolve({error: {errorType: 'Runtime.ExitError',
        errorMessage: `the runtime is not running (${this.exit.signal || this.exit.code})`}});
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.proc.kill('SIGKILL');
        resolve({error: {errorType: 'Sandbox.Timedout',
          errorMessage: `${this.name}: task timed out after ${this.timeoutMs / 1000} s`}});
      }, this.timeoutMs);
      this.pending.set(id, {resolve, timer});
      this.queue.push({id, event});
      this.handOut();
    });
  }

  async stop() {
    if (this.waiting) { this.waiting.destroy(); this.waiting = null; }
    if (!this.exit) { this.proc.kill('SIGTERM'); await this.exited; }
    await new Promise(r => this.server.close(r));
  }
}
