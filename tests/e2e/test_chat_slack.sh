#!/usr/bin/env bash
# test_chat_slack.sh - approving from a Slack button: the real daemon
# verifies Slack's request signature (slack_post.py signs as Slack does),
# maps the Slack user by --slack-users, and decides through the same
# review rules as the API: wrong, stale and replayed signatures, unmapped
# users, self-approval and step-up rules change nothing.
. "$(dirname "$0")/lib.sh"

SECRET=$JG_TMP/slack.secret
HOOK_SECRET=$JG_TMP/hook.secret
HOOK_LOG=$JG_TMP/hook.log
printf 'slack-signing-secret-for-tests-0123\n' >"$SECRET"
printf 'a-test-secret-of-enough-length\n' >"$HOOK_SECRET"
: >"$HOOK_LOG"
cat >"$JG_TMP/slack.users" <<'EOF2'
# Slack user id -> jitgate principal
UBOB bob
UALICE alice
EOF2

jg_policy <<'YAML'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.write]}
  vault: {actions: [read]}
  notes: {actions: [read]}
rules:
  - name: notes
    match: {resource: notes}
    steps: [{group: dba, count: 1}]
    approve_comment: true
    max_duration: 1h
  - name: vault
    match: {resource: vault}
    steps: [{group: dba, count: 1}]
    step_up: {within: 10m}
    max_duration: 1h
  - name: prod
    match: {labels: {env: prod}}
    steps: [{group: dba, count: 1}]
    max_duration: 1h
YAML
jg_start_helper "$JG_TMP/hook.err" "$(dirname "$0")/webhook_listener.py" \
	"$HOOK_SECRET" "$HOOK_LOG"
HOOK=http://127.0.0.1:$JG_HELPER_PORT
JG_SERVE_ARGS="--slack-url $HOOK/slack --dashboard-url https://jitgate.example --slack-signing-secret-file $SECRET --slack-users $JG_TMP/slack.users --slack-reply-base $HOOK/reply/"
jg_start
jg_token alice
jg_token bob

URL=$JITGATE_URL/v1/chat/slack
press() { # USER ACTION VALUE [options]: sets CODE and BODY
	local out
	out=$(python3 "$(dirname "$0")/slack_post.py" "$URL" "$SECRET" "$@")
	CODE=$(printf '%s\n' "$out" | head -n 1)
	BODY=$(printf '%s\n' "$out" | tail -n +2)
}
state_of() { # REQ
	jg_http GET "/v1/requests/$1" admin
	json_str state "$BODY"
}
wait_notice() { # REQ: the Slack notice about REQ, once delivered
	for _ in $(seq 1 300); do
		grep -q "request.pending.*$1\|$1.*asks for" "$HOOK_LOG" && break
		sleep 0.1
	done
	grep "$1" "$HOOK_LOG" | head -n 1
}

jg_run alice request prod-db sql.write --reason "INC-9 fix" -q
REQ=$OUT

# the notice carries the buttons
line=$(wait_notice "$REQ")
expect_match "notice: an Approve button with the request id" \
	"\"action_id\":\"jg_approve\",\"style\":\"primary\",\"text\":\\{[^}]*\\},\"type\":\"button\",\"value\":\"$REQ\"" "$line"
expect_match "notice: deny opens the dashboard" \
	'"action_id":"jg_open"' "$line"
expect_match "notice: the dashboard link" \
	"https://jitgate.example/#/requests/$REQ" "$line"

# wrongly signed: 401, nothing changes
before=$(jg_http GET "/v1/audit?limit=500" admin; printf '%s' "$BODY" | grep -o '"seq":' | wc -l)
press UBOB jg_approve "$REQ" --bad-sig
expect_eq "wrong signature: 401" 401 "$CODE"
expect_eq "wrong signature: still pending" pending "$(state_of "$REQ")"

# stale: a time stamp 6 minutes old
press UBOB jg_approve "$REQ" --age 360
expect_eq "stale time stamp: 401" 401 "$CODE"
expect_match "stale time stamp: says why" 'minutes from now' "$BODY"
expect_eq "stale: still pending" pending "$(state_of "$REQ")"

# unmapped Slack user: a clear ephemeral answer, nothing changes
press UNOBODY jg_approve "$REQ"
expect_eq "unmapped user: 200 (Slack shows only those)" 200 "$CODE"
expect_match "unmapped user: ephemeral" '"response_type":"ephemeral"' "$BODY"
expect_match "unmapped user: says so" 'not mapped to a jitgate principal' "$BODY"
expect_eq "unmapped: still pending" pending "$(state_of "$REQ")"

# the requester presses Approve on their own request
press UALICE jg_approve "$REQ"
expect_match "self-approval: refused" 'Not approved.*cannot review own request' "$BODY"
expect_eq "self-approval: still pending" pending "$(state_of "$REQ")"

# deny from chat opens the dashboard instead
press UBOB jg_deny "$REQ"
expect_match "deny from chat: refused, the dashboard takes it" 'a deny needs a comment' "$BODY"
expect_eq "deny from chat: still pending" pending "$(state_of "$REQ")"
after=$(jg_http GET "/v1/audit?limit=500" admin; printf '%s' "$BODY" | grep -o '"seq":' | wc -l)
expect_eq "refusals wrote no audit event" "$before" "$after"

# correctly signed, mapped approver: approved, the message replaced
press UBOB jg_approve "$REQ" --save "$JG_TMP/press.json" --response-url "$HOOK/reply/T1/abc"
expect_eq "signed approve: 200" 200 "$CODE"
expect_match "signed approve: replaces the message" '"replace_original":true' "$BODY"
expect_match "signed approve: says who and the state" '\*bob\* approved alice.*: approved' "$BODY"
expect_eq "signed approve: approved" approved "$(state_of "$REQ")"
jg_http GET "/v1/audit?subject=$REQ&type=review.recorded" admin
expect_match "the review is in the trail, by bob, via slack" \
	'"actor":"bob".*"via":"slack"|"via":"slack".*"actor":"bob"' "$BODY"

for _ in $(seq 1 300); do
	grep -q '"replace_original":true' "$HOOK_LOG" && break
	sleep 0.1
done
expect_match "the message is replaced through the response_url" \
	'"replace_original":true.*\*bob\* approved alice' "$(grep replace_original "$HOOK_LOG")"

# the same request again: a replay, refused
press UBOB jg_approve "$REQ" --replay "$JG_TMP/press.json"
expect_eq "replay: 401" 401 "$CODE"
expect_match "replay: says so" 'replay' "$BODY"

# a step-up rule: the notice has the dashboard button only, and a
# forged approve (validly signed) is refused: chat proves no sign-in
jg_run alice request vault read --reason "audit" -q
SREQ=$OUT
line=$(wait_notice "$SREQ")
expect_match "step-up notice: the dashboard button" \
	'"action_id":"jg_open"' "$line"
expect_no_match "step-up notice: no Approve button" 'jg_approve' "$line"
press UBOB jg_approve "$SREQ"
expect_match "step-up approve from chat: refused" 'Not approved.*sign-in' "$BODY"
# a rule asking approvers for a comment: a button carries none, so the
# notice offers the dashboard only, and an Approve press is refused
jg_run alice request notes read --reason "INC-11 notes" -q
CREQ=$OUT
line=$(wait_notice "$CREQ")
expect_match "approve_comment notice: the dashboard button" \
	'"action_id":"jg_open"' "$line"
expect_no_match "approve_comment notice: no Approve button" 'jg_approve' "$line"
press UBOB jg_approve "$CREQ"
expect_match "approve_comment approve from chat: refused" \
	"Not approved.*rule 'notes' asks approvers for a comment" "$BODY"
expect_eq "approve_comment: still pending" pending "$(state_of "$CREQ")"
# a press whose response_url is not Slack's: decided, but never posted there
jg_run alice request prod-db sql.write --reason "INC-10" -q
REQ10=$OUT
press UBOB jg_approve "$REQ10" --response-url "http://127.0.0.1:1/elsewhere"
expect_eq "foreign response_url: still approved" approved "$(state_of "$REQ10")"
expect_match "foreign response_url: not posted, and logged" \
	"Slack message of $REQ10 is not replaced: its response_url is not Slack's" "$(cat "$JG_TMP/server.log")"
expect_eq "step-up: still pending" pending "$(state_of "$SREQ")"

# not configured: the flags go together
"$JITGATE_BIN" serve --listen 127.0.0.1:1 --slack-users "$JG_TMP/slack.users" \
	>"$JG_TMP/alone.out" 2>&1
rc=$?
expect_eq "--slack-users without the secret: refused at start" 2 "$rc"
if grep -q "slack-signing-secret-for-tests" "$JG_TMP/server.log"; then
	not_ok "the signing secret is never logged" "absent" "in server.log"
else
	ok "the signing secret is never logged"
fi
jg_finish
