#!/usr/bin/env bash
# test_crash.sh - crash consistency: kill -9 the server at random moments
# under concurrent mixed load, restart it, and check that every
# acknowledged change survived, that nothing half-written did, that the
# audit chain verifies and that no grant was allowed past its expiry.
#
# JG_CRASH_CLIENTS (4) client processes (crash_client.py) create, review,
# cancel, revoke and check all the time and log every acknowledged change.
# Each round: start the server on the same port, wait until it answers,
# check the database against the logs (crash_check.py, one process for
# the run, on one read snapshot each time, while the load goes on): what
# changed since the last check every round, everything and the audit
# chain (GET /v1/audit/verify) every JG_CRASH_FULL_EVERY (25) rounds and
# after the last; let the load run for a random 20-220 ms, then SIGKILL
# the server. JG_CRASH_ROUNDS rounds (make test: the default below; make
# soak: 10000); JG_CRASH_SEED fixes the random choices (the seed in use is
# printed, to replay a failing run).
#
# backends: sqlite postgres
. "$(dirname "$0")/lib.sh"

ROUNDS=${JG_CRASH_ROUNDS:-200}
CLIENTS=${JG_CRASH_CLIENTS:-4}
FULL=${JG_CRASH_FULL_EVERY:-25}
SEED=${JG_CRASH_SEED:-$(( (RANDOM << 15) | RANDOM ))}
if [ -n "${JG_SERVER_WRAP:-}" ]; then
	ROUNDS=${JG_CRASH_ROUNDS_WRAPPED:-3} # under valgrind: a few, slowly
fi
RANDOM=$SEED
DIR=$(dirname "$0")
echo "# $ROUNDS rounds, $CLIENTS clients, seed $SEED (JG_CRASH_SEED=$SEED to replay)"

approvers=
for i in $(seq 1 "$CLIENTS"); do approvers="$approvers${approvers:+, }a$i, b$i"; done
jg_mixed_load_policy "$approvers"

jg_start
PORT=${JITGATE_URL##*:}
: >"$JG_TMP/tokens"
printf 'admin %s\n' "$(cat "$JG_TMP/tok.admin")" >>"$JG_TMP/tokens"
for i in $(seq 1 "$CLIENTS"); do
	for who in "u$i" "a$i" "b$i"; do
		jg_token "$who"
		printf '%s %s\n' "$who" "$(cat "$JG_TMP/tok.$who")" >>"$JG_TMP/tokens"
	done
done
echo "$JITGATE_URL" >"$JG_TMP/url"

if [ "$JG_BACKEND" = postgres ]; then
	CHECK_DB=(--pg "$JG_DB_URL" --psql "${JG_PG_BIN:-/usr/bin}/psql")
else
	CHECK_DB=(--sqlite "$JG_TMP/j.db")
fi
ACKS=()
for i in $(seq 1 "$CLIENTS"); do
	: >"$JG_TMP/ack.$i"
	ACKS+=("$JG_TMP/ack.$i")
	python3 "$DIR/crash_client.py" "$JG_TMP/url" "$JG_TMP/tokens" "$i" \
		"$JG_TMP/ack.$i" "$((SEED + i))" 2>>"$JG_TMP/client.err" &
	CLIENT_PIDS="${CLIENT_PIDS:-} $!"
done
JG_BG_PIDS="$JG_BG_PIDS $CLIENT_PIDS"

# Start the server again on PORT (a few tries: the port may linger).
restart() {
	local try i
	for try in 1 2 3 4 5 6 7 8 9 10; do
		${JG_SERVER_WRAP:-} "$JITGATE_BIN" serve --listen "127.0.0.1:$PORT" \
			--db "$JG_DB_URL" --policy "$JG_TMP/policy.yaml" \
			--sweep-interval 1s $JG_AS_USER >>"$JG_TMP/server.log" 2>&1 &
		JG_PID=$!
		for i in $(seq 1 1000); do
			kill -0 "$JG_PID" 2>/dev/null || break
			curl -fsS -o /dev/null "$JITGATE_URL/healthz" 2>/dev/null && return 0
			sleep 0.01
		done
		kill -9 "$JG_PID" 2>/dev/null
		wait "$JG_PID" 2>/dev/null
		sleep 0.2
	done
	JG_PID=
	return 1
}

# One checker for the whole run (it reads the logs incrementally):
# each "check" line makes it check once and answer, ending with "END N".
coproc CHECKER { python3 "$DIR/crash_check.py" --loop "${CHECK_DB[@]}" "${ACKS[@]}" 2>&1; echo "END checker exited $?"; }
CHECKER_PIDS=$CHECKER_PID

# Check the database now, what changed since the last check or (KIND
# full) everything and the audit chain; print what is wrong.
check_now() { # ROUND KIND
	local out="" line
	echo "$2" >&"${CHECKER[1]}"
	while IFS= read -r -t 600 line <&"${CHECKER[0]}"; do
		case $line in END*) break ;; esac
		out="$out$line"$'\n'
	done
	if [ "$line" != "END 0" ]; then
		not_ok "round $1: the database matches what clients were told" \
			"no violation" "$(printf '%s' "$out" | head -n 20) [${line:-the checker died}]"
		return 1
	fi
	LAST_CHECK=$out
	[ "$2" = full ] || return 0
	jg_http GET /v1/audit/verify admin
	case $BODY in
	*'"ok":true'*) ;;
	*)
		not_ok "round $1: audit verify" '"ok":true' "$CODE $BODY"
		return 1
		;;
	esac
	return 0
}

failed_at=
restart_ns=0
check_ns=0
t_start=$(date +%s%N)
for round in $(seq 1 "$ROUNDS"); do
	t0=$(date +%s%N)
	if [ "$round" -gt 1 ] && ! restart; then
		failed_at=$round
		not_ok "round $round: server restarts after SIGKILL" "it answers" "it did not"
		break
	fi
	t1=$(date +%s%N)
	kind=check
	[ $((round % FULL)) -eq 0 ] && kind=full
	if ! check_now "$round" "$kind"; then
		failed_at=$round
		break
	fi
	t2=$(date +%s%N)
	restart_ns=$((restart_ns + t1 - t0))
	check_ns=$((check_ns + t2 - t1))
	sleep "0.$(printf "%03d" $((20 + RANDOM % 200)))"
	kill -9 "$JG_PID" 2>/dev/null
	wait "$JG_PID" 2>/dev/null
	JG_PID=
done
t_end=$(date +%s%N)

# The load stops; one last restart and check of the final state.
for p in $CLIENT_PIDS; do kill "$p" 2>/dev/null; done
wait $CLIENT_PIDS 2>/dev/null
JG_BG_PIDS=$CHECKER_PIDS # the checker is stopped on exit
if [ -z "$failed_at" ]; then
	if restart && check_now final full; then
		ok "$ROUNDS rounds of SIGKILL under load: every acknowledged change kept, nothing half-written"
		ok "audit chain verifies after the last crash"
		echo "# $(printf '%s' "$LAST_CHECK" | tail -n 1)"
	fi
	ms=$(( (t_end - t_start) / 1000000 ))
	echo "# crash rounds: $ROUNDS in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s, $((ms / ROUNDS)) ms per round" \
		"(restart $((restart_ns / 1000000 / ROUNDS)) ms, check $((check_ns / 1000000 / ROUNDS)) ms, load 20-220 ms)"
else
	echo "# failed in round $failed_at; replay with JG_CRASH_SEED=$SEED JG_CRASH_ROUNDS=$failed_at"
fi
errs=$(grep -v '^$' "$JG_TMP/client.err" 2>/dev/null | head -n 5)
expect_eq "load clients ran without a traceback" "" "$errs"
n=$(cat "${ACKS[@]}" | grep -c '"op":"check"')
[ "$n" -gt 0 ] && ok "clients made $n checks" || not_ok "clients made checks" "> 0" "$n"
jg_finish
