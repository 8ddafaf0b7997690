// Test-only HTTP proxy in front of a local S3 server (s3rver): forwards every request, counts
// them, and injects faults on demand, so tests can see how many objects a scan fetched and how
// it copes with a failing server.
//   node s3_proxy.mjs UPSTREAM_PORT PORT_FILE
// listens on 127.0.0.1 (a free port, written to PORT_FILE) and answers these itself:
//   GET  /__proxy/stats                  {"GET /bucket/key": count, ...} since the last reset
//   POST /__proxy/reset                  clears the counts and every armed fault
//   POST /__proxy/fail?match=S&status=N&times=K
//        the next K requests whose "METHOD /path?query" contains S get status N and an S3
//        error document (InternalError for 5xx, SlowDown for 503, AccessDenied for 403)
//   POST /__proxy/delay?match=S&ms=N    every request containing S waits N ms first
//   POST /__proxy/delete-after-list?key=K
//        after the next full listing (ListObjectsV2 without max-keys) has been read from the
//        server, object K is deleted there before the listing reaches the client: an object
//        deleted between list and get
import http from 'node:http';
import fs from 'node:fs';

const upstreamPort = Number(process.argv[2]);
const portFile = process.argv[3];
let counts = {};
let faults = [];
let deleteAfterList = null;
let delays = [];

function s3Error(res, status) {
  const code = status === 503 ? 'SlowDown' : status === 403 ? 'AccessDenied' :
    status >= 500 ? 'InternalError' : 'InvalidRequest';
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>injected by the test proxy</Message></Error>`;
  res.writeHead(status, {'content-type': 'application/xml', 'content-length': body.length});
  res.end(body);
}

function control(req, res, url) {
  const q = url.searchParams;
  let out = {ok: true};
  if (url.pathname === '/__proxy/stats') out = counts;
  else if (url.pathname === '/__proxy/reset') {
    counts = {}; faults = []; deleteAfterList = null; delays = [];
  }
  else if (url.pathname === '/__proxy/delay')
    delays.push({match: q.get('match') || '', ms: Number(q.get('ms') || 0)});
  else if (url.pathname === '/__proxy/fail')
    faults.push({match: q.get('match') || '', status: Number(q.get('status') || 500),
                 times: Number(q.get('times') || 1)});
  else if (url.pathname === '/__proxy/delete-after-list') deleteAfterList = q.get('key');
  else { res.writeHead(404); res.end(); return; }
  res.writeHead(200, {'content-type': 'application/json'});
  res.end(JSON.stringify(out));
}

// Deletes bucket/key upstream with the listing's own signature headers (s3rver checks the key
// id, not the signature), then calls done.
function deleteUpstream(bucket, key, headers, done) {
  const path = '/' + bucket + '/' + key.split('/').map(encodeURIComponent).join('/');
  const h = {authorization: headers.authorization, 'x-amz-date': headers['x-amz-date'],
             'x-amz-content-sha256': 'UNSIGNED-PAYLOAD'};
  const r = http.request({host: '127.0.0.1', port: upstreamPort, method: 'DELETE', path, headers: h},
    (res) => { res.resume(); res.on('end', done); });
  r.on('error', done);
  r.end();
}

function forward(req, res, url) {
  const isList = url.searchParams.get('list-type') === '2' && !url.searchParams.has('max-keys');
  const up = http.request({host: '127.0.0.1', port: upstreamPort, method: req.method,
                           path: req.url, headers: req.headers}, (ur) => {
    if (!(isList && deleteAfterList)) {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      return;
    }
    const key = deleteAfterList;
    deleteAfterList = null;
    const chunks = [];
    ur.on('data', (c) => chunks.push(c));
    ur.on('end', () => deleteUpstream(url.pathname.split('/')[1], key, req.headers, () => {
      res.writeHead(ur.statusCode, ur.headers);
      res.end(Buffer.concat(chunks));
    }));
  });
  up.on('error', () => { res.writeHead(502); res.end(); });
  req.pipe(up);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/__proxy/')) return control(req, res, url);
  const what = `${req.method} ${decodeURIComponent(url.pathname)}`;
  counts[what] = (counts[what] || 0) + 1;
  const line = `${req.method} ${req.url}`;
  const f = faults.find((x) => x.times > 0 && line.includes(x.match));
  if (f) {
    f.times--;
    req.resume();
    return s3Error(res, f.status);
  }
  const d = delays.find((x) => line.includes(x.match));
  if (d) setTimeout(() => forward(req, res, url), d.ms);
  else forward(req, res, url);
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => process.exit(0));
