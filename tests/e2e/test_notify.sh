#!/usr/bin/env bash
# test_notify.sh - notifications through the durable outbox: a real
# webhook receiver on loopback verifies every signature; while it is down
# deliveries wait and retry, and when it is back each arrives exactly once.
. "$(dirname "$0")/lib.sh"

HOOK_PORT=
HOOK_LOG=$JG_TMP/hook.log
SECRET=$JG_TMP/hook.secret
printf 'a-test-secret-of-enough-length\n' >"$SECRET"
: >"$HOOK_LOG"
HOOK_PID=

hook_up() { # on a free port the first time, on the same one after
	JG_HELPER_PORT_WANT=$HOOK_PORT jg_start_helper "$JG_TMP/hook.err" \
		"$(dirname "$0")/webhook_listener.py" "$SECRET" "$HOOK_LOG"
	HOOK_PORT=$JG_HELPER_PORT
	HOOK_PID=$JG_HELPER_PID
}
hook_down() {
	kill "$HOOK_PID" 2>/dev/null
	wait "$HOOK_PID" 2>/dev/null
}
# Wait until the log has N lines matching PATTERN (at most 30 s).
wait_lines() { # N PATTERN
	for _ in $(seq 1 300); do
		[ "$(grep -c -- "$2" "$HOOK_LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

jg_policy <<'YAML'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.write]}
  job: {actions: [run]}
rules:
  - name: job
    match: {resource: job}
    decision: auto
    max_duration: 10m
  - name: prod
    match: {labels: {env: prod}}
    steps: [{group: dba, count: 1}]
    max_duration: 1h
YAML
cat >"$JG_TMP/connectors.yaml" <<'YAML'
version: 1
resources:
  job:
    type: command
    program: /bin/sh
    args: [-c, 'echo secret-output; exit 7']
YAML
hook_up
JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml --webhook-url http://127.0.0.1:$HOOK_PORT/hook --webhook-secret-file $SECRET --dashboard-url https://jitgate.example --notify-attempts 20"
jg_start
jg_token alice
jg_token bob

# created: the approvers hear of it, signed
jg_run alice request prod-db sql.write --reason "INC-7 fix" -q
REQ=$OUT
if wait_lines 1 "request.pending"; then ok "request.pending delivered"; else not_ok "request.pending delivered" "a line" "$(cat "$HOOK_LOG")"; fi
line=$(grep "request.pending" "$HOOK_LOG" | head -n 1)
case $line in *" ok "*) ok "signature verifies" ;; *) not_ok "signature verifies" "ok" "$line" ;; esac
case $line in *'"users":["bob"]'*) ok "sent to the approvers of the step" ;; *) not_ok "sent to the approvers" '"users":["bob"]' "$line" ;; esac
case $line in *"https://jitgate.example/#/requests/$REQ"*) ok "links to the dashboard" ;; *) not_ok "links to the dashboard" "the request link" "$line" ;; esac

# receiver down: the approval is not held up, the notice waits
hook_down
t0=$(date +%s)
jg_run bob approve "$REQ"
t1=$(date +%s)
if [ "$RC" -eq 0 ] && [ $((t1 - t0)) -le 2 ]; then ok "approval does not wait for a down receiver"; else not_ok "approval fast" "exit 0 within 2s" "exit $RC in $((t1 - t0))s"; fi
sleep 3
jg_http GET "/v1/outbox?state=pending" admin
case $BODY in *'"request.approved"'*'"attempts":'[1-9]*) ok "the outbox shows the retrying delivery" ;; *) not_ok "outbox shows retry" "pending request.approved with attempts" "$BODY" ;; esac
case $BODY in *'"last_error":"'*) ok "with the last error" ;; *) not_ok "last error" "a last_error" "$BODY" ;; esac

# back up: delivered once, not twice
hook_up
if wait_lines 1 "request.approved"; then ok "delivered after the receiver came back"; else not_ok "delivered after comeback" "request.approved" "$(cat "$HOOK_LOG")"; fi
sleep 3
n=$(grep -c "request.approved" "$HOOK_LOG")
[ "$n" -eq 1 ] && ok "delivered exactly once" || not_ok "exactly once" 1 "$n"
ids=$(cut -d' ' -f1 "$HOOK_LOG" | sort | uniq -d)
[ -z "$ids" ] && ok "no delivery id twice" || not_ok "no delivery id twice" "none" "$ids"
if grep -q BADSIG "$HOOK_LOG"; then not_ok "every signature verifies" "ok" "$(grep BADSIG "$HOOK_LOG")"; else ok "every signature verifies"; fi
jg_http GET "/v1/outbox?state=delivered" admin
case $BODY in *'"request.pending"'*'"request.approved"'*|*'"request.approved"'*'"request.pending"'*) ok "the outbox shows both delivered" ;; *) not_ok "outbox delivered" "both events" "$BODY" ;; esac

# a gateway-run action that fails: requester and approvers hear of it
jg_run alice exec job run --reason "nightly job"
expect_eq "the failing action: jitgate exec exits with its status" 7 "$RC"
if wait_lines 1 "execution.failed"; then ok "execution.failed delivered"; else not_ok "execution.failed delivered" "a line" "$(cat "$HOOK_LOG")"; fi
line=$(grep "execution.failed" "$HOOK_LOG" | head -n 1)
expect_match "execution.failed: to the requester" '"users":\["alice"' "$line"
expect_match "execution.failed: with the exit code and error" '"exit_code":7,' "$line"
case $line in *secret-output*) not_ok "execution.failed: without the output" "no output" "$line" ;; *) ok "execution.failed: without the output" ;; esac

# the outbox is for admins
jg_http GET /v1/outbox alice
[ "$CODE" = 403 ] && ok "outbox refused to a requester (403)" || not_ok "outbox refused" 403 "$CODE"

hook_down
jg_finish
