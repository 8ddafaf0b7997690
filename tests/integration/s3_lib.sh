# Helpers to run a local S3 server (s3rver, pinned in tests/e2e) for tests (sourced after lib.sh,
# or on its own with WORK and SRC set). Data lives under $WORK; ports are free ones.
S3RVER="$SRC/tests/e2e/node_modules/.bin/s3rver"
S3PID=""
S3PORT=""
PROXYPID=""
PROXYPORT=""

# s3_start BUCKET...: starts s3rver with these buckets; sets S3PID and S3PORT and exports the
# AWS_* settings imgeda reads (endpoint: the server itself). S3RVER_SILENT=1 turns its request
# log off (bench/s3 measures its CPU time).
s3_start() {
  command -v node >/dev/null || fail "node is needed for the local S3 server (scripts/deps.sh)"
  [ -x "$S3RVER" ] || fail "s3rver is missing: run npm ci in tests/e2e (scripts/deps.sh)"
  local args=()
  for b in "$@"; do args+=(--configure-bucket "$b"); done
  [ "${S3RVER_SILENT:-0}" = 1 ] && args+=(-s)
  mkdir -p "$WORK/s3data"
  # s3rver encrypts continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider:
  # without it every listing longer than one page fails with a 500.
  node --openssl-legacy-provider "$S3RVER" -d "$WORK/s3data" -a 127.0.0.1 -p 0 "${args[@]}" >"$WORK/s3rver.log" 2>&1 &
  S3PID=$!
  for _ in $(seq 1 200); do
    # The log may not exist yet (the child opens it): no port yet, not an error.
    S3PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/s3rver.log" 2>/dev/null | head -1 || true)
    [ -n "$S3PORT" ] && break
    kill -0 "$S3PID" 2>/dev/null || { cat "$WORK/s3rver.log" >&2; fail "s3rver did not start"; }
    sleep 0.05
  done
  [ -n "$S3PORT" ] || fail "s3rver printed no port"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL="http://127.0.0.1:$S3PORT"
  unset AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS
}

# s3_proxy_start: starts the counting, fault-injecting proxy (s3_proxy.mjs) in front of s3rver
# and points AWS_ENDPOINT_URL at it; sets PROXYPORT.
s3_proxy_start() {
  rm -f "$WORK/proxy.port"
  node "$SRC/tests/integration/s3_proxy.mjs" "$S3PORT" "$WORK/proxy.port" >"$WORK/proxy.log" 2>&1 &
  PROXYPID=$!
  for _ in $(seq 1 200); do
    [ -s "$WORK/proxy.port" ] && break
    kill -0 "$PROXYPID" 2>/dev/null || { cat "$WORK/proxy.log" >&2; fail "the S3 proxy did not start"; }
    sleep 0.05
  done
  PROXYPORT=$(cat "$WORK/proxy.port")
  export AWS_ENDPOINT_URL="http://127.0.0.1:$PROXYPORT"
}

# proxy PATH [curl args]: a control request to the proxy (see s3_proxy.mjs); prints the answer.
proxy() {
  local p=$1; shift
  curl -sf -X POST "http://127.0.0.1:$PROXYPORT$p" "$@" || fail "proxy control $p failed"
}
proxy_stats() { curl -sf "http://127.0.0.1:$PROXYPORT/__proxy/stats"; }

# s3_put FILE BUCKET KEY: uploads FILE straight to s3rver (not through the proxy); spaces in KEY
# are sent as %20 (other characters as they are).
s3_put() {
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -H 'Content-Type: application/octet-stream' \
    -T "$1" "http://127.0.0.1:$S3PORT/$2/${3// /%20}" >/dev/null || fail "upload of $1 to s3://$2/$3 failed"
}

# s3_delete BUCKET KEY: deletes an object on s3rver.
s3_delete() {
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X DELETE \
    "http://127.0.0.1:$S3PORT/$1/${2// /%20}" >/dev/null || fail "delete of s3://$1/$2 failed"
}

s3_stop() {
  [ -n "$PROXYPID" ] && kill "$PROXYPID" 2>/dev/null && wait "$PROXYPID" 2>/dev/null || true
  [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null || true
  PROXYPID=""
  S3PID=""
}
