#!/usr/bin/env bash
# test_exec_pool.sh - actions run on the execution pool, never in an HTTP
# worker nor under the policy lock: while eight slow actions run (more
# than the four HTTP workers), /v1/check, a GET of the API and a policy
# reload all answer, each before any action has ended; the eight end
# succeeded, each run once. A full pool answers 503 before anything is
# consumed (the request stays approved, its grant live, and it runs once
# later). `jitgate exec` that loses the server after the execute was sent
# exits 125 (unknown) and says to retry with the same idempotency key; the
# retry, after a restart, reports the execution's state and runs nothing
# again. SIGTERM while an action runs lets it end and records it. An
# `execute: auto` action does not hold the policy lock either.
#
# Liveness bounds only (curl --max-time, generous): what is asserted is
# the order of events: every answer came while the actions still slept.
. "$(dirname "$0")/lib.sh"

SLEEP=10  # seconds each slow action sleeps: far longer than the checks
RUNLOG=$JG_TMP/runs.log
: >"$RUNLOG"
# the connector runs as the server's user (--user, see lib.sh)
[ -z "$JG_AS_USER" ] || chown "$JG_SERVE_USER" "$RUNLOG"

# The slow program: one line when it starts, one when it ends.
cat >"$JG_TMP/nap.sh" <<'SH'
#!/bin/sh
echo "start $2" >>"$1"
sleep "$3"
echo "end $2" >>"$1"
echo "slept $3"
SH
chmod +x "$JG_TMP/nap.sh"

jg_policy <<'YAML'
version: 1
resources:
  box: {actions: [read]}
  sleepy: {actions: [run]}
  napper: {actions: [run]}
  autonap: {actions: [run]}
rules:
  - name: autonap
    match: {resource: autonap}
    decision: auto
    execute: auto
  - name: everything
    match: {resource: '*'}
    decision: auto
    max_duration: 1h
YAML

cat >"$JG_TMP/connectors.yaml" <<YAML
version: 1
resources:
  sleepy:
    type: command
    program: $JG_TMP/nap.sh
    args: ['$RUNLOG', '{tag}', '$SLEEP']
    timeout: 30s
  napper:
    type: command
    program: $JG_TMP/nap.sh
    args: ['$RUNLOG', '{tag}', '3']
    timeout: 4s
  autonap:
    type: command
    program: $JG_TMP/nap.sh
    args: ['$RUNLOG', 'auto', '$SLEEP']
    timeout: 30s
YAML

JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml --threads 4"
jg_start
jg_token alice

starts() { grep -c "^start $1" "$RUNLOG"; }
ends() { grep -c "^end $1" "$RUNLOG"; }
# Wait until N actions tagged PREFIX have started, at most ~SLEEP-2 s:
# never long enough for a slow action to end and make room for another.
wait_starts() { # PREFIX N
	local i
	for i in $(seq 1 $((SLEEP * 10 - 20))); do
		[ "$(starts "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# curl as WHO with a liveness bound: prints the HTTP status (000: none).
hit() { # WHO METHOD PATH [BODY]
	local args=(-sS -o /dev/null -w '%{http_code}' --max-time 5 -X "$2"
		-H "@$JG_TMP/hdr.$1")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}" "$JITGATE_URL$3" 2>/dev/null
}

# A live grant for /v1/check to allow.
jg_run alice --json request box read --reason "INC-1 look"
expect_rc "a grant for the checks" 0
BOXREQ=$(json_str id "$OUT")

# --- eight slow actions, and everything else answers meanwhile ----------

CLIS=
for i in 1 2 3 4 5 6 7 8; do
	jg_run_bg "p$i" alice exec sleepy run --param "tag=p$i" --reason "INC-2 slow $i"
	CLIS="$CLIS $BG_PID"
done
wait_starts p 8 && ok "eight actions run at once (four HTTP workers)" ||
	not_ok "eight actions run at once (four HTTP workers)" "8 started" "$(starts p)"

BAD=
for n in $(seq 1 20); do
	c=$(hit admin POST /v1/check '{"principal":"alice","resource":"box","action":"read"}')
	[ "$c" = 200 ] || BAD="$BAD check#$n=$c"
	c=$(hit alice GET "/v1/requests/$BOXREQ")
	[ "$c" = 200 ] || BAD="$BAD get#$n=$c"
done
c=$(hit admin POST /v1/policy/reload '{}')
[ "$c" = 200 ] || BAD="$BAD reload=$c"
ENDED=$(ends p)
expect_eq "checks, GETs and a reload all answered while the actions ran" "" "$BAD"
expect_eq "and every answer came before any action ended" 0 "$ENDED"

RCS=
for p in $CLIS; do
	wait "$p"
	RCS="$RCS $?"
done
expect_eq "the eight executions succeeded" " 0 0 0 0 0 0 0 0" "$RCS"
expect_eq "each ran once" "8 8" "$(starts p) $(ends p)"
expect_eq "each printed its output" "slept $SLEEP" "$(cat "$JG_TMP/bg.p5.out")"
expect_eq "the store holds eight succeeded executions" 8 \
	"$(jg_sql "SELECT count(*) FROM executions WHERE state = 'succeeded'")"

# --- execute: auto runs in the approving request's worker, but lets go
# of the policy lock meanwhile: a reload does not wait for it -------------

jg_run_bg auto alice request autonap run --reason "INC-6 auto"
AUTO_CLI=$BG_PID
wait_starts auto 1 || not_ok "the auto action started" "1 started" "$(starts auto)"
c=$(hit admin POST /v1/policy/reload '{}')
ENDED=$(ends auto)
expect_eq "a reload answers while an execute: auto action runs" 200 "$c"
expect_eq "before it ended" 0 "$ENDED"
wait "$AUTO_CLI"
expect_eq "the auto action ran once" "1 1" "$(starts auto) $(ends auto)"

# --- a full pool refuses before anything is consumed ---------------------

jg_stop
JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml --exec-threads 2 --exec-queue 0"
jg_start
jg_token alice
for i in 1 2; do
	jg_run_bg "f$i" alice exec sleepy run --param "tag=f$i" --reason "INC-3 fill $i"
	eval "FILL$i=\$BG_PID"
done
wait_starts f 2 || not_ok "two actions fill the pool" "2 started" "$(starts f)"
jg_http POST /v1/requests alice '{"resource":"sleepy","action":"run","reason":"INC-3 late","params":{"tag":"late"}}'
LATE=$(json_str id "$BODY")
jg_http POST "/v1/requests/$LATE/execute" alice '{}'
expect_problem "a full pool refuses" 503 busy
expect_match "and says nothing ran" "nothing ran" "$BODY"
expect_eq "nothing was consumed: the grant is live, no execution" "active|1|0" \
	"$(jg_sql "SELECT g.state, g.uses_left, (SELECT count(*) FROM executions e WHERE e.request_id = g.request_id) FROM grants g WHERE g.request_id = '$LATE'")"
expect_eq "nothing audited for it" 0 \
	"$(jg_sql "SELECT count(*) FROM audit WHERE type IN ('grant.consumed', 'execution.started') AND details LIKE '%$LATE%'")"
jg_run alice exec sleepy run --param tag=f3 --reason "INC-3 busy"
expect_rc "jitgate exec on a full pool: nothing ran (2)" 2
expect_match "it says the pool is full" "nothing ran" "$ERR"
wait "$FILL1" "$FILL2"
jg_http POST "/v1/requests/$LATE/execute" alice '{}'
expect_eq "once the pool has room, it runs" 200 "$CODE"
expect_eq "once" "1 1" "$(starts late) $(ends late)"

# --- jitgate exec loses the server after the action started --------------

jg_run_bg lost alice exec napper run --param tag=lost --reason "INC-4 lost" \
	--idempotency-key lost-1
LOST_CLI=$BG_PID
wait_starts lost 1 || not_ok "the napping action started" "1 started" "$(starts lost)"
kill -9 "$JG_PID"
wait "$JG_PID" 2>/dev/null
JG_PID=
wait "$LOST_CLI"
LOST_RC=$?
expect_eq "exit 125: the outcome is unknown" 125 "$LOST_RC"
expect_match "it says the action may have started" \
	"lost the server after the action may have started" "$(cat "$JG_TMP/bg.lost.err")"
expect_match "and how to learn the outcome" "retry with the same --idempotency-key" \
	"$(cat "$JG_TMP/bg.lost.err")"
sleep 4 # what the dead server left running ends (3 s)
jg_start
jg_run alice exec napper run --param tag=lost --reason "INC-4 lost" --idempotency-key lost-1
expect_rc "the retry reports the recorded state: unknown (125)" 125
expect_match "it follows the execution the first run started" "ran already" "$ERR"
expect_match "the gateway lost track of it" "lost track" "$ERR"
expect_eq "and it never ran again" 1 "$(starts lost)"

jg_run admin audit verify
expect_rc "the audit chain verifies" 0

# --- SIGTERM lets a running action end and records it --------------------

jg_run_bg term alice exec napper run --param tag=term --reason "INC-5 stop"
TERM_CLI=$BG_PID
wait_starts term 1 || not_ok "the action before SIGTERM started" "1 started" "$(starts term)"
jg_stop
wait "$TERM_CLI"
TERM_RC=$?
expect_eq "the server waited for the action" 1 "$(ends term)"
expect_eq "and recorded it succeeded" succeeded \
	"$(jg_sql "SELECT e.state FROM executions e JOIN requests r ON r.id = e.request_id WHERE r.params LIKE '%term%'")"
case $TERM_RC in
0 | 125) ok "jitgate exec got the answer or says unknown (exit $TERM_RC)" ;;
*) not_ok "jitgate exec got the answer or says unknown" "0 or 125" "$TERM_RC" ;;
esac

jg_finish
