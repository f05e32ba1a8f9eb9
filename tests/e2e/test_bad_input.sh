#!/usr/bin/env bash
# test_bad_input.sh - every bad input gets the right status and problem
# type, and changes nothing: the audit length, the requests, grants and
# tokens, and the request under review are compared before and after.
# Raw HTTP cases use curl; the CLI must refuse with one "jitgate: ..."
# line and exit 2.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob, carol]}
  security: {members: [dave]}
resources:
  prod-db: {labels: {env: prod}, sensitivity: high, actions: [sql.read, sql.write]}
  staging-db: {labels: {env: staging}, actions: [sql.read, sql.write]}
  notes-db: {actions: [read]}
rules:
  - name: notes
    match: {resource: notes-db}
    steps: [{group: dba, count: 1}]
    approve_comment: true
  - name: prod-writes
    match: {labels: {env: prod}, action: "sql.write"}
    steps: [{group: dba, count: 2}, {group: security, count: 1}]
    max_duration: 30m
    request_ttl: 1h
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
    max_duration: 1h
EOF
jg_start

jg_token alice --group dba
jg_token bob --group dba
jg_token carol --group dba
jg_token dave --group security
jg_token eve

jg_run alice request prod-db sql.write --reason "INC-7 fix" --payload "DELETE FROM t WHERE id = 7" -q
[ "$RC" -eq 0 ] || jg_bail "a pending request to review" "exit 0" "exit $RC: $ERR"
REQ=$OUT

# unchanged DESC BEFORE: compare a new snapshot with BEFORE.
unchanged() {
	expect_eq "$1: nothing changed" "$2" "$(jg_snapshot "$REQ")"
}

GOOD='{"resource":"prod-db","action":"sql.write","reason":"x"}'

# --- raw HTTP --------------------------------------------------------------

before=$(jg_snapshot "$REQ")

jg_http POST /v1/requests alice '{"resource": "prod-db", "action":'
expect_problem "malformed JSON" 400 invalid-request
unchanged "malformed JSON" "$before"

jg_http POST /v1/requests alice '["prod-db"]'
expect_problem "JSON that is not an object" 400 invalid-request

jg_http POST /v1/requests alice '{"resource":"prod-db","action":"sql.write","reason":""}'
expect_problem "empty reason" 400 invalid-request

jg_http POST /v1/requests alice '{"resource":"prod-db","action":"sql.write"}'
expect_problem "missing reason" 400 invalid-request

{
	printf '{"resource":"prod-db","action":"sql.write","reason":"big","payload":"'
	head -c 70000 /dev/zero | tr '\0' 'A'
	printf '"}'
} >"$JG_TMP/big.json"
jg_http POST /v1/requests alice "@$JG_TMP/big.json"
expect_problem "body over 64 KiB" 413 payload-too-large
unchanged "body over 64 KiB" "$before"

jg_http POST /v1/requests alice '{"resource":"no-such-db","action":"sql.write","reason":"x"}'
expect_problem "unknown resource" 400 unknown-target
jg_http POST /v1/requests alice '{"resource":"prod-db","action":"sql.drop","reason":"x"}'
expect_problem "unknown action" 400 unknown-target
unchanged "unknown targets" "$before"

jg_http POST /v1/requests - "$GOOD"
expect_problem "no token" 401 unauthenticated
jg_http GET /v1/requests -
expect_problem "no token on a read" 401 unauthenticated
jg_http POST /v1/requests bad "$GOOD"
expect_problem "wrong token" 401 unauthenticated
unchanged "unauthenticated" "$before"

jg_http POST "/v1/requests/$REQ/approve" alice '{}'
expect_problem "self-approval, though alice is in dba" 403 self-approval
jg_http POST "/v1/requests/$REQ/approve" dave '{}'
expect_problem "approval from outside the current step's group" 403 forbidden
unchanged "refused reviews" "$before"

jg_http POST /v1/requests alice \
	'{"resource":"prod-db","action":"sql.write","reason":"x","duration":"2h"}'
expect_problem "duration above the rule's maximum" 400 duration-too-long
expect_match "the message names both durations" '2h.*30m|30m.*2h' "$BODY"
unchanged "duration too long" "$before"

jg_http POST /v1/tokens alice '{"principal":"mallory","roles":["admin"]}'
expect_problem "a non-admin creating a token" 403 forbidden
unchanged "token by a non-admin" "$before"

jg_http GET /v1/requests/req_doesnotexist00000000000000 admin
expect_problem "an unknown request" 404 not-found

# Bytes that are not UTF-8 in an id name nothing, on either backend
# (PostgreSQL would refuse them as text: a 503 before they were caught).
for path in /v1/requests/req_%FF%FE /v1/grants/grt_%C3%28 /v1/tokens/tok_%80/revoke; do
	jg_http GET "$path" admin
	[ "${path%/revoke}" = "$path" ] || jg_http POST "$path" admin '{}'
	expect_problem "bytes that are not UTF-8 in $path" 404 not-found
done

# A denial needs a comment: missing, empty or blank is refused, by the
# API and, before sending, by the CLI; nothing changes.
before=$(jg_snapshot "$REQ")
jg_http GET "/v1/requests/$REQ" bob
expect_match "approve_needs_comment: false by default" '"approve_needs_comment":false' "$BODY"
for body in '{}' '{"comment":""}' '{"comment":" \t\n "}'; do
	jg_http POST "/v1/requests/$REQ/deny" bob "$body"
	expect_problem "a deny with $body" 400 invalid-request
	expect_match "a deny with $body: says why" 'a denial needs a comment: the requester is owed a reason' "$BODY"
done
jg_run bob deny "$REQ"
expect_rc "cli: a deny without --comment" 2
expect_match "cli: a deny without --comment says so" '^jitgate: deny needs --comment' "$ERR"
jg_run bob deny "$REQ" --comment "   "
expect_rc "cli: a deny with a blank --comment" 2
unchanged "a deny without a comment" "$before"

# A rule with approve_comment: true asks approvers for a comment too.
jg_run alice request notes-db read --reason "INC-9 notes" -q
NREQ=$OUT
nbefore=$(jg_snapshot "$NREQ")
jg_http GET "/v1/requests/$NREQ" bob
expect_match "approve_needs_comment: true for the rule" '"approve_needs_comment":true' "$BODY"
jg_http POST "/v1/requests/$NREQ/approve" bob '{}'
expect_problem "an approve without a comment under approve_comment" 400 invalid-request
expect_match "approve without a comment: says why" "rule 'notes' asks approvers for a comment" "$BODY"
jg_run bob approve "$NREQ"
expect_rc "cli: approve without a comment under approve_comment" 2
expect_match "cli: names the rule" "rule 'notes' asks approvers for a comment" "$ERR"
expect_eq "approve without a comment: nothing changed" "$nbefore" "$(jg_snapshot "$NREQ")"
jg_run bob approve "$NREQ" --comment "checked INC-9"
expect_rc "cli: approve with a comment under approve_comment" 0
jg_http GET "/v1/requests/$NREQ" bob
expect_eq "approve with a comment: approved" approved "$(json_str state "$BODY")"

# A valid first review, then the same reviewer again.
jg_run bob approve "$REQ"
expect_rc "bob's first review" 0
before=$(jg_snapshot "$REQ")
jg_http POST "/v1/requests/$REQ/approve" bob '{}'
expect_problem "second review by the same user" 409 duplicate-review
jg_http POST "/v1/requests/$REQ/deny" bob '{"comment":"no"}'
expect_problem "a deny after one's own approval" 409 duplicate-review
unchanged "duplicate review" "$before"

# Approve after deny.
jg_run alice request prod-db sql.write --reason "INC-8" -q
REQ2=$OUT
jg_run carol deny "$REQ2" --comment "no"
expect_rc "carol denies" 0
before=$(jg_snapshot "$REQ2")
jg_http POST "/v1/requests/$REQ2/approve" bob '{}'
expect_problem "approve after deny" 409 conflict
jg_http POST "/v1/requests/$REQ2/cancel" alice '{}'
expect_problem "cancel after deny" 409 conflict
expect_eq "approve after deny: nothing changed" "$before" "$(jg_snapshot "$REQ2")"

# --- the same refusals through the CLI ---------------------------------------

before=$(jg_snapshot "$REQ")

jg_run alice approve "$REQ"
expect_rc "cli: self-approval" 2
expect_one_error_line "cli: self-approval is one error line"
expect_match "cli: the server's reason is shown" "^jitgate: .*$REQ|^jitgate: .*(own|self)" "$ERR"

jg_run bob approve "$REQ"
expect_rc "cli: duplicate review" 2
expect_one_error_line "cli: duplicate review is one error line"

jg_run alice request prod-db sql.write --reason x --duration 2h
expect_rc "cli: duration too long" 2
expect_match "cli: names both durations" '2h.*30m|30m.*2h' "$ERR"

jg_run alice request nope-db sql.write --reason x
expect_rc "cli: unknown resource" 2
expect_one_error_line "cli: unknown resource is one error line"

jg_run alice token create mallory --role admin
expect_rc "cli: a non-admin creating a token" 2
expect_no_match "cli: no token printed" 'jg_' "$OUT"

jg_run - list
expect_rc "cli: no token" 2
expect_match "cli: says how to give one" 'JITGATE_TOKEN' "$ERR"

JG_LAST="jitgate list (wrong token)"
JITGATE_TOKEN=jg_wrongwrongwrong "$JITGATE_BIN" list >"$JG_TMP/out" 2>"$JG_TMP/err"
RC=$?
expect_rc "cli: wrong token" 2

# Refused locally, before anything is sent.
jg_run alice request prod-db sql.write
expect_rc "cli: --reason is required" 2
expect_match "cli: with a usage line" '^usage: jitgate request' "$(tail -n 1 "$JG_TMP/err")"

jg_run alice request prod-db sql.write --reason "$(head -c 3000 /dev/zero | tr '\0' r)"
expect_rc "cli: reason above the limit" 2

head -c 40000 /dev/zero | tr '\0' p >"$JG_TMP/payload"
jg_run alice request prod-db sql.write --reason x --payload-file "$JG_TMP/payload"
expect_rc "cli: payload file above the limit" 2

jg_run alice request prod-db sql.write --reason x --payload a --payload-file "$JG_TMP/payload"
expect_rc "cli: --payload and --payload-file together" 2

jg_run alice request prod-db sql.write --reason x --duration forever
expect_rc "cli: bad duration" 2

jg_run alice request "$(head -c 100 /dev/zero | tr '\0' n)" sql.write --reason x
expect_rc "cli: resource name above the limit" 2

jg_run alice show ../../v1/tokens
expect_rc "cli: an id that is not one" 2

jg_run alice list --limit 0
expect_rc "cli: --limit 0" 2

jg_run alice list --bogus
expect_rc "cli: unknown option" 2
expect_match "cli: names it" "unknown option '--bogus'" "$ERR"

jg_run alice frobnicate
expect_rc "cli: unknown command" 2

unchanged "cli refusals" "$before"

# A path with an encoded newline: answered, and logged on one line (a
# client cannot forge access log lines).
jg_http GET "/v1/requests/req_x%0A2026-01-01T00:00:00Z%20GET%20/forged%20200%20admin%200.1ms" alice
expect_problem "a path with a newline: not found" 404 not-found
if grep -q "^2026-01-01T00:00:00Z GET /forged" "$JG_TMP/server.log"; then
	not_ok "the access log cannot be forged" "one line per request" "$(grep -n forged "$JG_TMP/server.log")"
else
	expect_match "the access log cannot be forged: the newline shows as ?" \
		"GET /v1/requests/req_x\\?2026-01-01T00:00:00Z GET /forged 200 admin 0.1ms 404 - " \
		"$(cat "$JG_TMP/server.log")"
fi

# Nothing listens here: the CLI says so and exits 2.
jg_run alice --url "http://127.0.0.1:1" list
expect_rc "cli: server unreachable" 2
expect_match "cli: cannot reach" '^jitgate: cannot reach http://127.0.0.1:1: ' "$ERR"

jg_finish
