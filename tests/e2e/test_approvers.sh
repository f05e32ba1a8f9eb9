#!/usr/bin/env bash
# test_approvers.sh - each step of a request names who may approve it
# (src/gate/approvers.c): the group's members in the policy, then the
# holders of usable human tokens carrying the group; never a service,
# never a revoked token; on the list, the single request and the answer
# to a review alike.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF2'
version: 1
groups:
  dba: {members: [bob]}
  security: {members: []}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.write]}
rules:
  - name: writes
    match: {resource: prod-db}
    steps: [{group: dba, count: 1}, {group: security, count: 1}]
EOF2

jg_start
jg_token alice
jg_token bob
jg_token carol --group dba
jg_token erin --group security
jg_token scanbot --service --group security
jg_token mallory --group security

# the approvers of step N (0-based) in BODY, as "a,b"
approvers_of() { # N
	printf '%s' "$BODY" | python3 -c '
import json, sys
v = json.load(sys.stdin)
r = v["items"][0] if "items" in v else v
print(",".join(r["steps"][int(sys.argv[1])]["approvers"]))' "$1"
}

jg_run admin --json token list
MALLORY=$(printf '%s' "$OUT" | python3 -c '
import json, sys
v = json.load(sys.stdin)
print([t["id"] for t in (v["items"] if isinstance(v, dict) else v) if t["principal"] == "mallory"][0])')
jg_run admin token revoke "$MALLORY"
expect_rc "mallory's token is revoked" 0

jg_run alice request prod-db sql.write --reason "INC-5 unlock account 42" -q
REQ=$OUT
jg_http GET "/v1/requests/$REQ" alice
expect_eq "the request answers" 200 "$CODE"
expect_eq "dba: the policy's member, then the token holder" "bob,carol" "$(approvers_of 0)"
expect_eq "security: erin only (no service, no revoked token)" "erin" "$(approvers_of 1)"
jg_http GET "/v1/requests?state=pending" carol
expect_eq "the list names them too" "bob,carol" "$(approvers_of 0)"
jg_http POST "/v1/requests/$REQ/approve" carol '{}'
expect_eq "carol approves" 200 "$CODE"
expect_eq "the review's answer names them too" "erin" "$(approvers_of 1)"

jg_finish
