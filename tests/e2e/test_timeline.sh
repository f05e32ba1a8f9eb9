#!/usr/bin/env bash
# test_timeline.sh - a request's story (GET /v1/requests/{id}/events,
# src/gate/timeline.c): its events and its grant's, in trail order, for
# whoever may see the request and nobody else; and the audit trail newest
# first (GET /v1/audit?order=desc), paged by its cursor.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF2'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.read]}
rules:
  - name: reads
    match: {resource: prod-db}
    steps: [{group: dba, count: 1}]
EOF2

jg_start
jg_token alice
jg_token bob
jg_token carol

types() { # of BODY's items, comma-separated
	printf '%s' "$BODY" | python3 -c 'import json,sys; print(",".join(e["type"] for e in json.load(sys.stdin)["items"]))'
}
seqs() {
	printf '%s' "$BODY" | python3 -c 'import json,sys; print(",".join(str(e["seq"]) for e in json.load(sys.stdin)["items"]))'
}

jg_run alice request prod-db sql.read --reason "INC-1 read the orders" -q
REQ=$OUT
jg_run bob approve "$REQ" --comment "fine"
expect_rc "bob approves" 0
jg_http GET "/v1/requests/$REQ" alice
GRANT=$(json_str grant_id "$BODY")
jg_http GET "/v1/grants/$GRANT/token" alice
expect_eq "alice fetches her grant's token" 200 "$CODE"

jg_http GET "/v1/requests/$REQ/events" alice
expect_eq "alice reads her request's story" 200 "$CODE"
expect_eq "created, reviewed, approved, granted, token fetched, in order" \
	"request.created,review.recorded,request.approved,grant.issued,grant.token_issued" "$(types)"
S=$(seqs)
expect_eq "by ascending seq" "$S" "$(printf '%s' "$S" | tr ',' '\n' | sort -n | paste -sd, -)"
jg_http GET "/v1/requests/$REQ/events" bob
expect_eq "bob, its approver, too" 200 "$CODE"
jg_http GET "/v1/requests/$REQ/events" carol
expect_problem "carol, who cannot see the request, gets 404" 404 not-found
jg_http GET "/v1/requests/req_00000000000000000000000000/events" admin
expect_problem "an unknown request: 404" 404 not-found

jg_http GET "/v1/audit?order=desc&limit=2" admin
expect_eq "the trail newest first" 200 "$CODE"
FIRST=$(seqs)
jg_http GET "/v1/audit?limit=200" admin
LAST=$(seqs | tr ',' '\n' | tail -n 1)
expect_eq "its first item is the newest event" "$LAST" "${FIRST%%,*}"
CUR=$(json_str next_cursor "$(curl -sS -H "@$JG_TMP/hdr.admin" "$JITGATE_URL/v1/audit?order=desc&limit=2")")
jg_http GET "/v1/audit?order=desc&limit=2&cursor=$CUR" admin
SECOND=$(seqs)
expect_eq "the next page goes on below it" "$(( ${FIRST##*,} - 1 ))" "${SECOND%%,*}"
jg_http GET "/v1/audit?order=sideways" admin
expect_problem "another order is refused" 400 invalid-request

jg_finish
