#!/usr/bin/env bash
# test_runnable.sh - the truth of an approved request (src/gate/
# runnable.c): grant_state follows its grant (active, revoked, expired by
# the clock before the sweeper), and can_execute is true only for its
# requester, only while the grant is active, only when the action has a
# connector, and no more once it ran.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF2'
version: 1
groups:
  dba: {members: [bob]}
resources:
  box: {labels: {env: ops}, actions: [job.run]}
  plain-db: {labels: {env: ops}, actions: [sql.read]}
rules:
  - name: ops
    match: {labels: {env: ops}}
    steps: [{group: dba, count: 1}]
EOF2
cat >"$JG_TMP/connectors.yaml" <<'YAML'
version: 1
resources:
  box:
    type: command
    program: /bin/true
    args: ['{action}']
YAML
JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml"

jg_start
jg_token alice
jg_token bob

approved() { # RESOURCE ACTION [DURATION]: an approved request of alice's
	jg_run alice request "$1" "$2" --reason "INC-1 routine job" --duration "${3:-30m}" -q
	local id=$OUT
	jg_run bob approve "$id"
	[ "$RC" -eq 0 ] || jg_bail "bob approves $id" "exit 0" "exit $RC: $ERR"
	printf '%s' "$id"
}
field() { # NAME (of BODY)
	printf '%s' "$BODY" | python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("null" if v is None else str(v).lower())' "$1"
}

RUN=$(approved box job.run)
jg_http GET "/v1/requests/$RUN" alice
expect_eq "an approved request's grant is active" active "$(field grant_state)"
expect_eq "its requester may run it (a connector, an active grant)" true "$(field can_execute)"
jg_http GET "/v1/requests/$RUN" bob
expect_eq "bob, not the requester, may not" false "$(field can_execute)"

PLAIN=$(approved plain-db sql.read)
jg_http GET "/v1/requests/$PLAIN" alice
expect_eq "no connector for the action: nothing to run" false "$(field can_execute)"

GONE=$(approved box job.run)
jg_http GET "/v1/requests/$GONE" alice
GRANT=$(json_str grant_id "$BODY")
jg_run bob revoke "$GRANT" --reason "not today"
jg_http GET "/v1/requests/$GONE" alice
expect_eq "a revoked grant shows revoked" revoked "$(field grant_state)"
expect_eq "and is not offered to run" false "$(field can_execute)"

SHORT=$(approved box job.run 1s)
sleep 2
jg_http GET "/v1/requests/$SHORT" alice
expect_eq "a grant past its expiry reads expired" expired "$(field grant_state)"
expect_eq "and is not offered to run" false "$(field can_execute)"

jg_http POST "/v1/requests/$RUN/execute" alice '{}'
expect_eq "alice runs the first one" 200 "$CODE"
jg_http GET "/v1/requests/$RUN" alice
expect_eq "once run, no more" false "$(field can_execute)"

jg_run alice request box job.run --reason "INC-2 still pending" -q
jg_http GET "/v1/requests/$OUT" alice
expect_eq "a pending request has no grant state" null "$(field grant_state)"

jg_finish
