#!/usr/bin/env bash
# test_schedule.sh - scheduled access through the real daemon and CLI: a
# request names its start (`jitgate request --start`), is approved long
# before it, and its grant allows nothing until then: /v1/check says when
# it starts, the grant token is refused until shortly before and then
# carries nbf = the start, a gateway-run action is refused before the
# start and runs after it, and the window ends start + duration later.
# Out of bounds starts (past, beyond max_start_ahead, on break-glass) are
# refused with 400 and change nothing. The server runs under libfaketime
# (as in test_clock.sh), its offset read from a file on every call, so the
# test moves the server's clock past the start instead of waiting.
. "$(dirname "$0")/lib.sh"

jg_policy <<'YAML'
version: 1
defaults: {max_start_ahead: 7d}
groups:
  ops: {members: [bob]}
  sre: {members: [alice]}
resources:
  lab: {actions: [read]}
  box: {actions: [run]}
rules:
  - name: lab
    match: {resource: lab}
    steps: [{group: ops, count: 1}]
    max_duration: 1h
    request_ttl: 10m
    max_start_ahead: 2d
    break_glass: {group: sre, max_duration: 30m}
  - name: box
    match: {resource: box}
    steps: [{group: ops, count: 1}]
    max_duration: 1h
YAML
cat >"$JG_TMP/argv.sh" <<'SH'
#!/bin/sh
echo "ran $*"
SH
chmod +x "$JG_TMP/argv.sh"
cat >"$JG_TMP/connectors.yaml" <<YAML
version: 1
resources:
  box:
    type: command
    program: $JG_TMP/argv.sh
    args: ['{what}']
    timeout: 10s
YAML

SKEW=$JG_TMP/faketime
jg_faketime "$SKEW"
JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml --sweep-interval 1h"
jg_start
jg_token alice
jg_token bob --group ops

# An hour from now (the server's clock is the real one until moved).
START_S=$(($(date +%s) + 3600))
START=$(date -u -d "@$START_S" +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d "@$((START_S + 1800))" +%Y-%m-%dT%H:%M:%SZ)
at() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# --- bounds: refused, nothing stored ------------------------------------

BEFORE=$(jg_snapshot)
jg_run alice request lab read --reason "CHG-1" --start "$(at $((3 * 86400)))"
expect_rc "a start past max_start_ahead is refused" 2
expect_match "naming the rule's bound" "more than 2d ahead \(max_start_ahead of rule 'lab'\)" "$ERR"
jg_run alice request lab read --reason "CHG-1" --start "$(at -7200)"
expect_rc "a start in the past is refused" 2
expect_match "saying so" "is in the past" "$ERR"
jg_run alice request lab read --reason "CHG-1" --start 2026-12-05T02:00
expect_rc "a start that is not RFC 3339 is a usage error" 2
expect_match "naming the form" "invalid start '2026-12-05T02:00' \(an RFC 3339 time" "$ERR"
jg_http POST /v1/requests alice "{\"resource\":\"lab\",\"action\":\"read\",\"reason\":\"x\",\"break_glass\":true,\"start_at\":\"$START\"}"
expect_problem "break-glass cannot be scheduled" 400 invalid-request
expect_match "saying why" "break-glass cannot be scheduled" "$BODY"
expect_eq "the refusals so far changed nothing" "$BEFORE" "$(jg_snapshot)"
# To the minute, as a maintenance window is written: taken as :00.
MIN=$(date -u -d "@$((START_S + 120))" +%Y-%m-%dT%H:%M)
jg_run alice --json request lab read --reason "CHG-0" --start "${MIN}Z"
expect_rc "a start to the minute (2026-12-05T02:00Z) is taken" 0
expect_eq "as that minute's :00, in UTC" "${MIN}:00Z" "$(json_str start_at "$OUT")"
jg_run alice cancel "$(json_str id "$OUT")"
expect_rc "(cancelled again)" 0
BEFORE=$(jg_snapshot)
jg_http POST /v1/requests alice '{"resource":"lab","action":"read","reason":"x","start_at":"tomorrow"}'
expect_problem "start_at must be a time" 400 invalid-request
expect_eq "refusals changed nothing" "$BEFORE" "$(jg_snapshot)"

# --- a scheduled request, approved an hour before its start --------------

jg_run alice --json request lab read --reason "CHG-1 maintenance" --duration 30m --start "$START"
expect_rc "request --start" 0
REQ=$(json_str id "$OUT")
expect_eq "the request carries its start" "$START" "$(json_str start_at "$OUT")"
expect_eq "it may be approved until its start (request_ttl is 10m)" "$START" "$(json_str expires_at "$OUT")"
jg_run alice show "$REQ"
expect_match "jitgate show prints the start" "start_at: +$START" "$OUT"
jg_run bob approve "$REQ"
expect_rc "bob approves it" 0
jg_run alice --json show "$REQ"
GRANT=$(json_str grant_id "$OUT")
expect_match "a grant is issued on approval" '^grt_' "$GRANT"
jg_run alice --json show "$GRANT"
expect_eq "its not_before is the start" "$START" "$(json_str not_before "$OUT")"
expect_eq "it ends start + duration" "$END" "$(json_str expires_at "$OUT")"
expect_match "it is marked scheduled" '"scheduled":true' "$OUT"
jg_run alice grants
expect_match "jitgate grants lists it as scheduled" "^$GRANT +scheduled +alice +lab +read" "$OUT"
expect_eq "grant.issued carries start_at" 1 \
	"$(jg_sql "SELECT count(*) FROM audit WHERE type = 'grant.issued' AND subject = '$GRANT' AND details LIKE '%\"start_at\":\"$START\"%'")"
expect_eq "request.created carries start_at" 1 \
	"$(jg_sql "SELECT count(*) FROM audit WHERE type = 'request.created' AND subject = '$REQ' AND details LIKE '%\"start_at\":\"$START\"%'")"

jg_run alice check alice lab read
expect_rc "the check denies before the start" 1
expect_match "saying when it starts" "grant $GRANT starts at $START" "$OUT"
jg_http GET "/v1/grants/$GRANT/token" alice
expect_problem "no token an hour before the start" 409 conflict
expect_match "the token refusal says when" "starts at $START" "$BODY"

# a gateway-run action scheduled for the same start
jg_http POST /v1/requests alice "{\"resource\":\"box\",\"action\":\"run\",\"reason\":\"CHG-1 run\",\"params\":{\"what\":\"migrate\"},\"start_at\":\"$START\"}"
expect_eq "a scheduled gateway-run request" 201 "$CODE"
RUN=$(json_str id "$BODY")
jg_run bob approve "$RUN"
expect_rc "approved" 0
jg_http POST "/v1/requests/$RUN/execute" alice '{}'
expect_problem "execute before the start is refused" 409 conflict
expect_match "saying when it starts" "starts at $START: nothing runs before then" "$BODY"
expect_eq "nothing ran" 0 "$(jg_sql "SELECT count(*) FROM executions")"

# --- shortly before the start: a token, valid from the start -------------

echo "+3400" >"$SKEW"
jg_run alice check alice lab read
expect_rc "still denied shortly before the start" 1
jg_http GET "/v1/grants/$GRANT/token" alice
expect_eq "a token is issued shortly before the start" 200 "$CODE"
CLAIMS=$(json_str token "$BODY" | cut -d. -f2 |
	python3 -c 'import base64,sys; s=sys.stdin.read().strip(); print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode())')
expect_eq "its nbf is the start" "$START_S" "$(json_num nbf "$CLAIMS")"

# --- from the start ------------------------------------------------------

echo "+3610" >"$SKEW"
jg_run alice check alice lab read
expect_rc "the check allows from the start" 0
jg_run alice --json show "$GRANT"
expect_match "no longer marked scheduled" '"scheduled":false' "$OUT"
jg_http POST "/v1/requests/$RUN/execute" alice '{}'
expect_eq "execute runs from the start" 200 "$CODE"
expect_match "the program ran" 'ran migrate' "$BODY"

echo "+$((3600 + 1800 + 10))" >"$SKEW"
jg_run alice check alice lab read
expect_rc "the window ends start + duration later" 1

# --- jitgate policy test explains a start offline ------------------------

jg_run - policy test "$JG_TMP/policy.yaml" --request \
	'{"requester":"alice","resource":"lab","action":"read","reason":"x","time":"2026-12-01T00:00:00Z","start_at":"2026-12-01T10:00:00Z"}'
expect_rc "policy test with start_at" 0
expect_match "the start check passes" '\[pass\] start: starts at 2026-12-01T10:00:00Z, within max_start_ahead 2d' "$OUT"
jg_run - policy test "$JG_TMP/policy.yaml" --request \
	'{"requester":"alice","resource":"lab","action":"read","reason":"x","time":"2026-12-01T00:00:00Z","start_at":"2026-12-04T00:00:00Z"}'
expect_match "a start past the bound is refused" "more than 2d ahead \(max_start_ahead of rule 'lab'\)" "$ERR"

jg_finish
