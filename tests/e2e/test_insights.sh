#!/usr/bin/env bash
# test_insights.sh - tuning advice (jitgate insights, GET /v1/insights,
# src/insight/advice*.c) with the real daemon and CLI: a rule approved
# every time gives the auto-approval suggestion with its policy change
# and its replay, in text and --json; an unused resource is named;
# auditors may ask, plain users get 403, bad dates 400.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {actions: [sql.read]}
  old-db: {actions: [sql.read]}
rules:
  - name: reads
    match: {resource: prod-db}
    steps: [{group: dba, count: 1}]
    max_duration: 8h
EOF

jg_start
jg_token alice
jg_token bob
jg_token carol
jg_token audrey --role auditor

for i in 1 2 3 4 5 6 7 8 9 10; do
	jg_run alice request prod-db sql.read --reason "INC-$i read the orders" -q
	REQ=$OUT
	jg_run bob approve "$REQ" --comment "fine"
	[ "$RC" -eq 0 ] || jg_bail "bob approves request $i" 0 "$RC: $ERR"
done

jg_run admin insights
expect_rc "the admin asks for insights" 0
expect_match "10 requests in the period" '10 requests, [0-9]+ suggestions?' "$OUT"
expect_match "the always-approved rule is named" '\[auto_approve\] reads' "$OUT"
expect_match "its change: steps out" '-    steps: \[\{group: dba, count: 1\}\]' "$OUT"
expect_match "its change: decision auto in" '\+    decision: auto' "$OUT"
expect_match "its replay: all 10 decided differently" \
	'replay: 10 of 10 past requests decided differently' "$OUT"
expect_match "all 10 in the period" 'of them in the period: 10' "$OUT"
expect_match "the unused resource is named" '\[unused_resource\] old-db' "$OUT"

jg_run audrey insights --json --since 1d
expect_rc "an auditor asks with --json" 0
KINDS=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(sorted(s["kind"] for s in d["suggestions"])))')
expect_eq "exactly the suggestions" "auto_approve,unused_resource" "$KINDS"
CHANGED=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([s for s in d["suggestions"] if s["kind"]=="auto_approve"][0]["replay"]["changed"])')
expect_eq "its replay count" 10 "$CHANGED"

jg_http GET "/v1/insights" carol
expect_problem "a plain user is refused" 403 forbidden
jg_http GET "/v1/insights?since=yesterday" admin
expect_problem "a bad since is refused" 400 invalid-request
jg_http GET "/v1/insights?since=2026-12-01&until=2026-11-01" admin
expect_problem "until before since is refused" 400 invalid-request
jg_http GET "/v1/insights?since=2000-01-01&until=2000-02-01" audrey
expect_eq "a period with no history: 200" 200 "$CODE"
expect_eq "and no suggestion" 0 "$(printf '%s' "$BODY" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["suggestions"]))')"
# The change edits the file the server loaded: once the file differs
# (not reloaded yet), the suggestion says so instead of a wrong diff.
echo "# edited" >>"$JG_TMP/policy.yaml"
jg_run admin insights --json
NOTE=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=[s for s in d["suggestions"] if s["kind"]=="auto_approve"][0]; print(s.get("change_note", "") if "change" not in s else "has a change")')
expect_eq "a file changed since loading gives a note, no change" \
	"the policy file changed since it was loaded: reload it to see the changes" "$NOTE"
jg_run admin policy reload
jg_run admin insights
expect_match "after the reload the change is back" '\+    decision: auto' "$OUT"

jg_run admin insights --since nonsense
expect_ne "the CLI refuses a bad date" 0 "$RC"

jg_finish
