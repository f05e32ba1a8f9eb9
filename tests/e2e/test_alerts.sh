#!/usr/bin/env bash
# test_alerts.sh - alerts through the real daemon and CLI: a burst that
# straddles a restart fires once (the counters are rebuilt from the
# trail), the alert reaches the webhook through the outbox, is listed by
# `jitgate alerts` and GET /v1/alerts (admins, auditors), and is
# acknowledged only by an admin with a comment; a policy reload raises
# its own alert; a grant used from an address never seen for its
# principal raises new_source. The server feeds the detectors on a thread of its own,
# in seq order, so a policy reload's alert appearing means every event
# before it has been fed: the tests wait for one before counting.
. "$(dirname "$0")/lib.sh"

HOOK_LOG=$JG_TMP/hook.log
SECRET=$JG_TMP/hook.secret
printf 'a-test-secret-of-enough-length\n' >"$SECRET"
: >"$HOOK_LOG"
# Reload the policy as WHO and wait for its alert: the events before it
# have all been fed to the detectors then.
settle() { # WHO
	jg_http POST /v1/policy/reload "$1"
	jg_wait_alert "policy_reload +$1" || not_ok "policy_reload alert for $1" "one" "$OUT"
}
wait_lines() { # N PATTERN (at most 30 s)
	for _ in $(seq 1 300); do
		[ "$(grep -c -- "$2" "$HOOK_LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

jg_policy <<'YAML'
version: 1
resources:
  lab: {actions: [read]}
rules:
  - name: lab
    match: {resource: lab}
    decision: auto
    max_duration: 10m
alerts:
  burst_principal: {threshold: 4, window: 1h, severity: high}
YAML
jg_start_helper "$JG_TMP/hook.err" "$(dirname "$0")/webhook_listener.py" \
	"$SECRET" "$HOOK_LOG"
JG_SERVE_ARGS="--webhook-url http://127.0.0.1:$JG_HELPER_PORT/hook --webhook-secret-file $SECRET"
jg_start
jg_token alice
jg_token audrey --role auditor
jg_token root --role admin

for _ in 1 2; do jg_run alice request lab read --reason "lab work" -q; done
settle admin
expect_no_match "no alert after two requests" "burst_principal" "$OUT"

# the restart: the two requests before it still count
kill -TERM "$JG_PID"; wait "$JG_PID"; JG_PID=
jg_start
for _ in 3 4 5; do jg_run alice request lab read --reason "lab work" -q; done
settle root
expect_rc "jitgate alerts lists" 0
n=$(printf '%s\n' "$OUT" | grep -c "burst_principal")
expect_eq "the burst across the restart fires once" 1 "$n"
expect_match "its subject and severity" "high +burst_principal +alice +open" "$OUT"

if wait_lines 1 "alert.raised"; then ok "alert.raised reaches the webhook"; else not_ok "alert.raised delivered" "a line" "$(cat "$HOOK_LOG")"; fi
case $(grep "alert.raised" "$HOOK_LOG" | head -n 1) in *" ok "*) ok "its signature verifies" ;; *) not_ok "signature" "ok" "$(cat "$HOOK_LOG")" ;; esac

jg_http GET /v1/alerts audrey
expect_eq "auditors list alerts" 200 "$CODE"
ID=$(printf '%s' "$BODY" | python3 -c 'import json,sys; a=[x for x in json.load(sys.stdin)["alerts"] if x["kind"]=="burst_principal" and len(x["events"])==4]; print(a[0]["id"] if len(a)==1 else "")')
expect_match "the alert names the events behind it" "^evt_" "$ID"
jg_http GET /v1/alerts alice
expect_eq "others may not list alerts" 403 "$CODE"

jg_http POST "/v1/alerts/$ID/acknowledge" audrey '{"comment":"seen"}'
expect_eq "auditors may not acknowledge" 403 "$CODE"
jg_run admin alerts ack "$ID"
expect_ne "ack without --comment is refused" 0 "$RC"
jg_http POST "/v1/alerts/$ID/acknowledge" admin '{}'
expect_eq "the API refuses no comment" 400 "$CODE"
jg_run admin alerts ack "$ID" --comment "lab load test, expected"
expect_rc "admin acknowledges with a comment" 0
jg_run admin alerts --state open
expect_no_match "no longer open" "burst_principal" "$OUT"
jg_run admin --json alerts --state acknowledged
expect_match "listed as acknowledged, with the comment" "lab load test, expected" "$OUT"
jg_run admin audit list --type alert.acknowledged
expect_match "the acknowledgement is audited" "alert.acknowledged" "$OUT"

jg_run admin --json alerts
expect_match "a reload raises policy_reload, with who did it" '"kind":"policy_reload".*"subject":"root"|"subject":"root".*"kind":"policy_reload"' "$OUT"

# off_hours' time zones: the daemon reloads a policy naming them; an
# unknown zone is refused with its file and line, by `policy check` and
# by a reload, and the policy in force stays.
cat >>"$JG_TMP/policy.yaml" <<'YAML'
  off_hours:
    time_zone: Europe/Berlin
    time_zones: {alice: America/New_York}
YAML
jg_run - policy check "$JG_TMP/policy.yaml"
expect_rc "policy check takes off_hours' zones" 0
jg_http POST /v1/policy/reload root '{}'
expect_eq "the reload with zones works" 200 "$CODE"
GOOD=$(json_str sha256 "$BODY")
expect_match "it answers the new policy's sha256" "^[0-9a-f]{64}$" "$GOOD"
sed -i 's|America/New_York|America/Atlantis|' "$JG_TMP/policy.yaml"
jg_run - policy check "$JG_TMP/policy.yaml"
expect_rc "an unknown zone is refused" 1
expect_match "naming file, line and zone" \
	"^$JG_TMP/policy.yaml:13: alert 'off_hours': unknown time zone 'America/Atlantis'" "$ERR"
jg_http POST /v1/policy/reload root '{}'
expect_problem "the API reload: refused" 400 invalid-request
jg_http GET /v1/policy root
expect_match "the policy in force stays" "$GOOD" "$BODY"

# new_source: alice asked five times from 127.0.0.1; a check of her grant
# from there is a use from a known place, one from 192.0.2.44 (as the
# enforcement point reports it) is not
CHECK='"principal":"alice","resource":"lab","action":"read"'
jg_http POST /v1/check alice "{$CHECK}"
expect_match "a check from the usual address allows" '"allow":true' "$BODY"
jg_http POST /v1/check alice "{$CHECK,\"source\":\"192.0.2.44\"}"
expect_match "a check from a new address allows" '"allow":true' "$BODY"
jg_http POST /v1/check alice "{$CHECK,\"source\":\"somewhere\"}"
expect_problem "a source that is no address" 400 invalid-request
if jg_wait_alert "medium +new_source +alice>192.0.2.44 +open"; then ok "the use from the new address raises new_source"; else not_ok "new_source alert" "alice>192.0.2.44" "$OUT"; fi
expect_no_match "none for the usual address" "new_source +alice>127.0.0.1" "$OUT"
jg_run admin --json audit list --type grant.used --limit 500
expect_match "the first use from the usual address is recorded" '"source": *"127.0.0.1"' "$OUT"
expect_match "and the one from the new address" '"source": *"192.0.2.44"' "$OUT"
jg_http POST /v1/check alice "{$CHECK,\"source\":\"192.0.2.44\"}"
jg_run admin --json audit list --type grant.used --limit 500
expect_eq "a second use from the same address records nothing" 2 "$(printf '%s' "$OUT" | grep -o '"type": *"grant.used"' | wc -l | tr -d ' ')"

jg_finish
