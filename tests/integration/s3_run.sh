#!/usr/bin/env bash
# Runs a test program next to a local S3 server: s3_run.sh BUILD_DIR PROGRAM [ARGS...] starts
# s3rver (buckets "imgeda-test" and "other-bucket") and the counting, fault-injecting proxy in
# front of it, exports the AWS_* settings (endpoint: the proxy) plus IE_S3_PROXY (the proxy's
# base URL, for fault control) and IE_S3_DIRECT (s3rver itself), runs PROGRAM, and stops both.
source "$(dirname "$0")/lib.sh"
source "$HERE/s3_lib.sh"
shift
trap 's3_stop; rm -rf "$WORK"' EXIT
s3_start imgeda-test other-bucket
s3_proxy_start
export IE_S3_PROXY="http://127.0.0.1:$PROXYPORT" IE_S3_DIRECT="http://127.0.0.1:$S3PORT"
"$@"
