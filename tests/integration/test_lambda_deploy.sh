#!/usr/bin/env bash
# deploy/aws/ holds together: the state machine is valid Amazon States Language (the pinned
# asl-validator, which also refuses a broken copy, so it is known to look), every function ARN
# it names is substituted by template.yaml with a container-image function whose handler
# imgeda-lambda knows, and the Dockerfile builds imgeda-lambda through scripts/deps.sh only.
# (Docker cannot run on our machines, so the image itself is not built here; the runtime's
# shared libraries are checked against deps.sh's runtime list by test_docker_sync.sh.)
source "$(dirname "$0")/lib.sh"
AWS="$SRC/deploy/aws"
VALIDATOR="$SRC/tests/e2e/node_modules/.bin/asl-validator"
LAMBDA="$BUILD/bin/imgeda-lambda"
command -v node >/dev/null || fail "node is needed for asl-validator (scripts/deps.sh)"
[ -x "$VALIDATOR" ] || fail "asl-validator is missing: run npm ci in tests/e2e (scripts/deps.sh)"

expect_rc 0 "$VALIDATOR" --json-path "$AWS/statemachine.asl.json"
contains "$WORK/out" "is valid"
sed 's/"Next": "Aggregate"/"Next": "Agregate"/' "$AWS/statemachine.asl.json" >"$WORK/broken.json"
cmp -s "$AWS/statemachine.asl.json" "$WORK/broken.json" && fail "the broken copy is not broken"
expect_rc 1 "$VALIDATOR" --json-path "$WORK/broken.json"
contains "$WORK/err" "target: Agregate"
ok "statemachine.asl.json is valid ASL (asl-validator), and a broken copy is refused"

handlers=$("$LAMBDA" --help | sed -n '/Handlers:/,$p' | tr -s ' \n' ' ' | sed 's/.*Handlers: //; s/\.//; s/ *$//')
node - "$AWS/statemachine.asl.json" "$AWS/template.yaml" "$handlers" "$SRC" >"$WORK/tpl.out" 2>&1 <<'JS' || { cat "$WORK/tpl.out" >&2; fail "template.yaml and the state machine disagree"; }
const fs = require('fs'), path = require('path');
const [aslFile, tplFile, handlerList, src] = process.argv.slice(2);
// The YAML parser asl-validator depends on (pinned in tests/e2e/package-lock.json).
const YAML = require(require.resolve('yaml', {paths: [path.join(src, 'tests/e2e/node_modules/asl-validator')]}));
const asl = fs.readFileSync(aslFile, 'utf8');
const tpl = YAML.parse(fs.readFileSync(tplFile, 'utf8'));
const handlers = handlerList.trim().split(/\s+/);
const assert = (c, m) => { if (!c) { console.error(m); process.exit(1); } };
const R = tpl.Resources;
const sm = Object.values(R).find(r => r.Type === 'AWS::StepFunctions::StateMachine').Properties;
const subs = sm.DefinitionSubstitutions;
const used = [...new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map(m => m[1]))].sort();
assert(JSON.stringify(used) === JSON.stringify(Object.keys(subs).sort()),
  `ASL names ${used}, the template substitutes ${Object.keys(subs)}`);
assert(sm.DefinitionS3Location === path.basename(aslFile), 'DefinitionS3Location');
const seen = new Set();
for (const [k, v] of Object.entries(subs)) {
  const [id, attr] = v['Fn::GetAtt'];
  const f = R[id];
  assert(attr === 'Arn' && f && f.Type === 'AWS::Lambda::Function', `${k}: ${id} is no function`);
  const p = f.Properties;
  assert(p.PackageType === 'Image' && p.Code.ImageUri.Ref === 'ImageUri', `${id}: not the image`);
  const h = p.ImageConfig.Command[0];
  assert(handlers.includes(h), `${id}: handler ${h} is not one of ${handlers}`);
  assert(k === id.replace(/Function$/, 'FunctionArn'), `${k} substitutes ${id}`);
  assert(p.Timeout >= 60 && p.Timeout <= 900, `${id}: Timeout ${p.Timeout}`);
  assert(R[p.Role['Fn::GetAtt'][0]].Type === 'AWS::IAM::Role', `${id}: role`);
  seen.add(h);
}
assert(seen.size === handlers.length, `handlers without a function: ${handlers.filter(h => !seen.has(h))}`);
// The state machine may invoke exactly the five functions, and nothing grants s3:* or "*".
const text = JSON.stringify(tpl);
assert(!/"s3:\*"|"Resource":"\*"|"Action":"\*"/.test(text), 'a wildcard grant');
const invoke = R[sm.RoleArn['Fn::GetAtt'][0]].Properties.Policies[0].PolicyDocument.Statement
  .find(s => s.Action === 'lambda:InvokeFunction').Resource.map(r => r['Fn::GetAtt'][0]).sort();
assert(JSON.stringify(invoke) === JSON.stringify(Object.values(subs).map(v => v['Fn::GetAtt'][0]).sort()),
  `the state machine may invoke ${invoke}`);
console.log(`ok ${Object.keys(subs).length} functions`);
JS
contains "$WORK/tpl.out" "ok 5 functions"
ok "template.yaml substitutes every function the state machine names: image functions with known handlers ($handlers), least-privilege roles"

DF="$AWS/Dockerfile"
grep -qiE 'apt-get|apt install|dpkg -i' "$DF" && fail "deploy/aws/Dockerfile installs packages itself; use scripts/deps.sh"
modes=$(grep -E '^RUN' "$DF" | grep -oE 'deps\.sh [a-z]+' | awk '{print $2}' | sort -u | tr '\n' ' ')
[ "$modes" = "build runtime " ] || fail "deploy/aws/Dockerfile uses deps.sh modes '$modes', expected build and runtime"
grep -q "^FROM debian:12" "$DF" || fail "deploy/aws/Dockerfile is not on Debian 12"
grep -q -- '--target imgeda-lambda' "$DF" && [ -x "$LAMBDA" ] || fail "the image does not build imgeda-lambda"
grep -q '^ENTRYPOINT \["/usr/local/bin/imgeda-lambda"\]' "$DF" || fail "imgeda-lambda is not the ENTRYPOINT"
ok "deploy/aws/Dockerfile: Debian 12, packages through deps.sh build/runtime, imgeda-lambda as ENTRYPOINT"
echo "$checks passed, 0 failed"
