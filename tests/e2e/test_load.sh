#!/usr/bin/env bash
# test_load.sh - mixed load for a bounded time with the server's memory
# sampled, then thousands of idle and slow connections while normal
# requests go on.
#
# 1. JG_LOAD_CLIENTS (4) crash_client.py processes (create, review,
#    cancel, revoke, done, check, token) for JG_LOAD_SECONDS (15; make soak
#    600). The server's VmRSS is read every second. Zero errors: every
#    answer is a success or a benign conflict (crash_client.py); memory
#    stays bounded: the peak of the second half of the run is within
#    25% + 8 MB of the peak of the first half (a leak grows with the
#    requests served); afterwards crash_check.py finds every acknowledged
#    change and nothing half-written, and the audit chain verifies.
# 2. (SQLite only: connection handling does not depend on the store.)
#    JG_IDLE_CONNS (2000) connections that send nothing and JG_SLOW_CONNS
#    (200) that send a request a byte a second, held for 10 s, while one
#    client sends POST /v1/check on new connections one after another:
#    none may fail, and the latency is printed beside the same client's
#    with no idle connection.
#
# The figures (operations per second, RSS, latencies) are printed as
# "# ..." lines; they are measurements, not assertions.
#
# backends: sqlite postgres
. "$(dirname "$0")/lib.sh"

DIR=$(dirname "$0")
SECONDS_LOAD=${JG_LOAD_SECONDS:-15}
CLIENTS=${JG_LOAD_CLIENTS:-4}
IDLE=${JG_IDLE_CONNS:-2000}
SLOW=${JG_SLOW_CONNS:-200}
if [ -n "${JG_SERVER_WRAP:-}" ]; then # under valgrind: smaller, slower
	SECONDS_LOAD=${JG_LOAD_SECONDS_WRAPPED:-10}
	IDLE=500
	SLOW=50
fi
[ "$SECONDS_LOAD" -ge 4 ] || SECONDS_LOAD=4
# Under AddressSanitizer (make sanitize) freed memory waits in a 256 MB
# quarantine before reuse, so RSS climbs for a while whatever the code
# does; a small quarantine keeps the memory bound meaningful (LeakSanitizer
# still reports leaks at exit).
if grep -q __asan_init "$JITGATE_BIN" 2>/dev/null; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
	export ASAN_OPTIONS
fi

approvers=
for i in $(seq 1 "$CLIENTS"); do approvers="$approvers${approvers:+, }a$i, b$i"; done
jg_mixed_load_policy "$approvers"
# every client here is one address (127.0.0.1), holding thousands of
# connections on purpose: no per-address limit (test_starve.sh tests it)
JG_SERVE_ARGS="--per-ip-connections 0"
jg_start
printf 'admin %s\n' "$(cat "$JG_TMP/tok.admin")" >"$JG_TMP/tokens"
for i in $(seq 1 "$CLIENTS"); do
	for who in "u$i" "a$i" "b$i"; do
		jg_token "$who"
		printf '%s %s\n' "$who" "$(cat "$JG_TMP/tok.$who")" >>"$JG_TMP/tokens"
	done
done
echo "$JITGATE_URL" >"$JG_TMP/url"

rss() { # kB of the server (the real process even under valgrind)
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$JG_PID/status" 2>/dev/null
}

# --- 1. mixed load, memory sampled ------------------------------------

pids=
for i in $(seq 1 "$CLIENTS"); do
	: >"$JG_TMP/ack.$i"
	python3 "$DIR/crash_client.py" "$JG_TMP/url" "$JG_TMP/tokens" "$i" \
		"$JG_TMP/ack.$i" "$((RANDOM + i))" 2>>"$JG_TMP/client.err" &
	pids="$pids $!"
done
JG_BG_PIDS="$JG_BG_PIDS $pids"
start_rss=$(rss)
: >"$JG_TMP/rss"
for s in $(seq 1 "$SECONDS_LOAD"); do
	sleep 1
	r=$(rss)
	[ -n "$r" ] && echo "$s $r" >>"$JG_TMP/rss"
	kill -0 "$JG_PID" 2>/dev/null || break
done
for p in $pids; do kill "$p" 2>/dev/null; done
wait $pids 2>/dev/null
kill -0 "$JG_PID" 2>/dev/null && ok "the server ran $SECONDS_LOAD s of mixed load" ||
	jg_bail "the server survives the load" "running" "it died"

acks=$(cat "$JG_TMP"/ack.* | grep -vc '"op":"error"')
errors=$(cat "$JG_TMP"/ack.* | grep -c '"op":"error"')
expect_eq "mixed load: zero errors" 0 "$errors"
[ "$errors" -gt 0 ] && grep -h '"op":"error"' "$JG_TMP"/ack.* | head -n 5
tb=$(grep -c Traceback "$JG_TMP/client.err")
expect_eq "load clients ran without a traceback" 0 "$tb"
half=$((SECONDS_LOAD / 2))
read -r first second last <<EOF
$(awk -v h="$half" '{ if ($1 <= h) { if ($2 > a) a = $2 } else { if ($2 > b) b = $2 }
	l = $2 } END { print a + 0, b + 0, l + 0 }' "$JG_TMP/rss")
EOF
echo "# mixed load: $acks acknowledged operations in $SECONDS_LOAD s ($((acks / SECONDS_LOAD))/s, $CLIENTS clients, $JG_BACKEND)"
echo "# server RSS: $((start_rss / 1024)) MB before, peak $((first / 1024)) MB in the first half, $((second / 1024)) MB in the second, $((last / 1024)) MB at the end"
bound=$((first + first / 4 + 8192))
if [ "$second" -le "$bound" ]; then
	ok "memory stays bounded under load (second-half peak $((second / 1024)) MB <= $((bound / 1024)) MB)"
else
	not_ok "memory stays bounded under load" "second-half peak <= $bound kB" \
		"$second kB (samples: $(tr '\n' ' ' <"$JG_TMP/rss"))"
fi
if [ "$JG_BACKEND" = postgres ]; then
	CHECK_DB=(--pg "$JG_DB_URL" --psql "${JG_PG_BIN:-/usr/bin}/psql")
else
	CHECK_DB=(--sqlite "$JG_TMP/j.db")
fi
out=$(python3 "$DIR/crash_check.py" "${CHECK_DB[@]}" "$JG_TMP"/ack.* 2>&1)
expect_match "after the load: every acknowledged change is there, nothing half-written" \
	", 0 violations$" "$out"
jg_run admin audit verify
expect_match "after the load, the audit chain verifies" "OK" "$OUT"

# --- 2. idle and slow connections --------------------------------------

if [ "$JG_BACKEND" = sqlite ]; then
	tok=$(cat "$JG_TMP/tok.admin")
	base=$(python3 "$DIR/slow_clients.py" "$JITGATE_URL" "$tok" 0 0 3)
	idle_rss0=$(rss)
	python3 "$DIR/slow_clients.py" "$JITGATE_URL" "$tok" "$IDLE" "$SLOW" 10 \
		>"$JG_TMP/slow.out" 2>"$JG_TMP/slow.err" &
	sp=$!
	sleep 6
	idle_rss=$(rss)
	wait "$sp"
	res=$(cat "$JG_TMP/slow.out" "$JG_TMP/slow.err")
	echo "# alone:                        $base"
	echo "# with $IDLE idle + $SLOW slow: $res"
	echo "# server RSS: $((idle_rss0 / 1024)) MB before them, $((idle_rss / 1024)) MB with them"
	expect_match "$IDLE idle connections were all opened" "\"idle_open\": $IDLE," "$res"
	expect_match "$SLOW slow connections were all opened" "\"slow_open\": $SLOW," "$res"
	expect_match "with $IDLE idle and $SLOW slow connections, other clients are served" \
		'"failed": 0,' "$res"
	expect_no_match "and they were served at all" '"requests": 0,' "$res"
	jg_http GET /healthz -
	expect_eq "the server answers after they are gone" 200 "$CODE"
fi
jg_finish
