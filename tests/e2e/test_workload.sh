#!/usr/bin/env bash
# test_workload.sh - workload identity through the real daemon and CLI: CI
# jobs authenticate with the OpenID token their platform gives them. Two
# test issuers on loopback (tests/oidc/issuer.mjs: GitHub Actions' and
# GitLab CI's shapes and claim sets, node's crypto only) are trusted by
# the policy's identity.workload; `jitgate request` / `jitgate exec` run
# with JITGATE_TOKEN=<the platform JWT> and no jitgate token. A matched
# binding works; unmatched claims, a forged signature, alg none, HS256
# keyed with the public key, an expired, not-yet-valid or wrong-audience
# token, an untrusted issuer: 401 with a reason, nothing created, audited
# at a bounded rate and never with the token. A flood of unknown kids
# costs one key fetch; a key rotation at the issuer works (the server's
# clock moved past the refetch window with libfaketime, as in
# test_clock.sh); with the issuer stopped, its known keys keep working.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

if ! command -v node >/dev/null 2>&1; then
	sh "$ROOT/scripts/deps" >&2 || jg_bail "node installed" "scripts/deps" "failed"
fi
# start_issuer NAME PLATFORM: sets ISS_NAME (its URL) and PID_NAME
start_issuer() {
	local i ready=$JG_TMP/$1.ready pid
	rm -f "$ready"
	node "$ROOT/tests/oidc/issuer.mjs" --platform "$2" --port 0 --ready "$ready" \
		>>"$JG_TMP/$1.log" 2>&1 &
	pid=$!
	JG_BG_PIDS="$JG_BG_PIDS $pid"
	for i in $(seq 1 300); do
		[ -s "$ready" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$ready" ] || jg_bail "issuer $1 starts" "a ready file" "$(tail -n 5 "$JG_TMP/$1.log")"
	printf -v "ISS_$1" '%s' "$(json_str issuer "$(cat "$ready")")"
	printf -v "PID_$1" '%s' "$pid"
}
# mint NAME JSON: a token from issuer NAME into TOK
mint() {
	local url=ISS_$1
	TOK=$(curl -sS -X POST --data-binary "$2" "${!url}/mint")
	[ -n "$TOK" ] || jg_bail "issuer $1 mints" "a token" "nothing"
}
# fetches NAME: how often issuer NAME's key set was fetched
fetches() {
	local url=ISS_$1
	json_num jwks "$(curl -sS "${!url}/stats")"
}
# as_jwt ARGS...: the CLI with the last minted token and nothing else
as_jwt() {
	jg_save_token ci "$TOK"
	jg_run ci "$@"
}
count_requests() { jg_sql "SELECT count(*) FROM requests"; }
count_events() { jg_sql "SELECT count(*) FROM audit WHERE type = '$1'"; }

start_issuer GH github
start_issuer GL gitlab

jg_policy <<EOF
version: 1
groups:
  deployers: {members: []}
  ops: {members: [bob]}
resources:
  prod-db: {actions: [sql.read, sql.write]}
  box: {actions: [run]}
rules:
  - name: deployers-read
    match: {resource: prod-db, action: sql.read, requester: {groups: [deployers]}}
    decision: auto
    max_duration: 10m
  - name: deployers-run
    match: {resource: box, requester: {groups: [deployers]}}
    decision: auto
  - name: everything-else
    match: {resource: '*'}
    steps: [{group: ops, count: 1}]
identity:
  workload:
    - issuer: $ISS_GH
      audience: jitgate
      bindings:
        - claims: {repository: acme/payments, ref: refs/heads/main, environment: prod}
          principal: ci-payments-deploy
          groups: [deployers]
    - issuer: $ISS_GL
      audience: jitgate
      bindings:
        - claims: {project_path: acme/payments, ref_type: branch, ref: main, environment: prod}
          principal: gl-payments-deploy
          groups: [deployers]
        - claims: {namespace_path: acme, ref: "release-*"}
          principal: gl-release
EOF
cat >"$JG_TMP/connectors.yaml" <<'EOF'
version: 1
resources:
  box:
    type: command
    program: /bin/echo
    args: [deployed]
EOF
SKEW=$JG_TMP/faketime
jg_faketime "$SKEW"
JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml"
jg_start

# --- a matched binding -------------------------------------------------

mint GH '{}'
GH_TOK=$TOK
jg_save_token ci "$TOK"
jg_http GET /v1/whoami ci
expect_eq "GitHub token: GET /v1/whoami" 200 "$CODE"
expect_match "the binding's service principal and groups" \
	'"principal":"ci-payments-deploy".*"kind":"service".*"groups":\["deployers"\]' "$BODY"

as_jwt --json request prod-db sql.read --reason "deploy 42"
expect_rc "jitgate request with the platform token" 0
expect_match "approved by the policy at once" '"state":"approved"' "$OUT"
expect_match "requested by the service principal" '"requester":"ci-payments-deploy"' "$OUT"

as_jwt exec box run --reason "deploy 42"
expect_rc "jitgate exec with the platform token" 0
expect_eq "the gateway ran it" deployed "$OUT"

expect_eq "one workload.authenticated for that token" 1 "$(count_events workload.authenticated)"
DETAILS=$(jg_sql "SELECT details FROM audit WHERE type = 'workload.authenticated'")
expect_match "the trail names issuer, subject and binding" \
	"\"issuer\":\"$ISS_GH\".*\"principal\":\"ci-payments-deploy\".*\"subject\":\"repo:acme/payments:environment:prod\"" \
	"$DETAILS"
SIG=${GH_TOK##*.}
expect_no_match "the trail never holds the token" "$SIG" "$(jg_sql "SELECT details FROM audit")"

mint GL '{}'
jg_save_token ci "$TOK"
jg_http GET /v1/whoami ci
expect_match "GitLab token: its binding" '"principal":"gl-payments-deploy"' "$BODY"
mint GL '{"claims":{"ref":"release-1.4","environment":"staging","sub":"project_path:acme/payments:ref_type:branch:ref:release-1.4"}}'
as_jwt whoami
expect_rc "GitLab release branch (a prefix binding)" 0
expect_match "is gl-release" '^principal: +gl-release$' "$OUT"

# --- refused: 401 with a reason, nothing created --------------------------

BEFORE=$(count_requests)
mint GH '{"claims":{"ref":"refs/heads/dev"}}'
jg_save_token ci "$TOK"
jg_http GET /v1/whoami ci
expect_problem "claims matching no binding" 401 unauthenticated
expect_match "the reason names the issuer and the subject" \
	"issuer '$ISS_GH' \(sub 'repo:acme/payments:environment:prod'\) matches no binding" "$BODY"
as_jwt request prod-db sql.read --reason "from a branch"
expect_rc "jitgate request refused (exit 2: an error, not a denial)" 2
expect_match "the CLI says why" "matches no binding" "$ERR"
expect_one_error_line "one error line"

F0=$(fetches GH)
refuse() { # DESC MINT_JSON WHY_ERE
	mint GH "$2"
	jg_save_token ci "$TOK"
	jg_http GET /v1/whoami ci
	expect_problem "$1" 401 unauthenticated
	expect_match "$1: says why" "$3" "$BODY"
	as_jwt --json request prod-db sql.read --reason "$1"
	expect_rc "$1: jitgate request refused" 2
}
refuse "alg none" '{"forge":"none"}' "the token is not signed"
refuse "HS256 keyed with the public key" '{"forge":"hs256"}' "alg 'HS256' is not accepted"
expect_eq "none and HS256 never reached the key set" "$F0" "$(fetches GH)"
refuse "a forged signature" '{"forge":"key"}' "signature does not verify"
refuse "an expired token" '{"exp_in":-120}' "the token expired at"
refuse "a token not yet valid" '{"nbf_in":600}' "not valid before"
refuse "another audience" '{"claims":{"aud":"sigstore"}}' "not for audience 'jitgate'"
refuse "an untrusted issuer" '{"claims":{"iss":"https://token.evil.example"}}' \
	"'https://token.evil.example', which is not trusted"
expect_eq "nothing was created" "$BEFORE" "$(count_requests)"
expect_match "refusals are audited" '^[1-9][0-9]*$' "$(count_events workload.refused)"
expect_no_match "refusals never hold the token" "${TOK##*.}" "$(jg_sql "SELECT details FROM audit")"

# --- unknown kids: one fetch for the flood ------------------------------------

F0=$(fetches GH)
BAD=0
for i in $(seq 1 15); do
	mint GH '{"forge":"kid"}'
	jg_save_token ci "$TOK"
	jg_http GET /v1/whoami ci
	[ "$CODE" = 401 ] || BAD=$((BAD + 1))
done
expect_eq "15 tokens with unknown kids refused" 0 "$BAD"
F1=$(fetches GH)
expect_eq "the flood cost at most one key fetch" 1 $((F1 - F0 <= 1))
expect_eq "the refusal trail is bounded (10 a minute)" 1 \
	$(($(count_events workload.refused) <= 11))

# --- key rotation at the issuer ------------------------------------------------

NEWKID=$(json_str kid "$(curl -sS -X POST --data-binary '{"drop":true}' "$ISS_GH/rotate")")
mint GH '{}'
ROTATED=$TOK
echo "+2m" >"$SKEW" # the server's clock: past the refetch window
jg_save_token ci "$ROTATED"
jg_http GET /v1/whoami ci
expect_eq "a token under the new key ($NEWKID) works" 200 "$CODE"
expect_eq "after one more key fetch" $((F1 + 1)) "$(fetches GH)"
jg_save_token ci "$GH_TOK"
jg_http GET /v1/whoami ci
expect_eq "the token seen before still works (remembered)" 200 "$CODE"

# --- the issuer stopped: known keys keep working -----------------------------

mint GH '{"claims":{"jti":"after-outage"}}'
UNSEEN=$TOK
kill "$PID_GH"
wait "$PID_GH" 2>/dev/null
jg_save_token ci "$UNSEEN"
jg_http GET /v1/whoami ci
expect_eq "issuer down: a new token signed with a cached key works" 200 "$CODE"
as_jwt --json request prod-db sql.read --reason "during the outage"
expect_rc "and jitgate request with it" 0
mint GL '{}'
jg_save_token ci "$TOK"
jg_http GET /v1/whoami ci
expect_eq "the other issuer is not affected" 200 "$CODE"

# a policy reload (a new policy: what was matched is forgotten) keeps the
# issuers' cached keys: the token is verified again with them
printf '# reloaded\n' >>"$JG_TMP/policy.yaml"
jg_run admin policy reload
expect_rc "policy reloaded while the issuer is down" 0
jg_save_token ci "$UNSEEN"
jg_http GET /v1/whoami ci
expect_eq "after the reload, the cached keys still verify" 200 "$CODE"
expect_eq "verified again under the new policy (audited again)" 2 \
	"$(jg_sql "SELECT count(*) FROM audit WHERE type = 'workload.authenticated' AND details LIKE '%after-outage%'")"

jg_finish
