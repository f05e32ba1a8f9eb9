# tests/e2e/lib.sh - helpers for black-box tests of the real jitgate.
#
# Source it from a bash test script. Each test gets its own temp dir
# ($JG_TMP, removed on exit) holding the database, the policy the test
# writes, the tokens and the server log; the server runs on a free loopback
# port (a new random one is tried when binding fails) and is killed on
# exit. Tokens live in files ($JG_TMP/tok.WHO) and reach the CLI through
# JITGATE_TOKEN, never through argv, and curl through a header file.
#
# Assertions count passes and failures; jg_finish prints the last line
# "N passed, M failed" that tests/run reads, and sets the exit status.
#
# The backend: SQLite ($JG_TMP/j.db) unless JG_BACKEND=postgres, which
# tests/run sets together with JG_PG_BASE and JG_PG_BIN from
# tests/pg/cluster: then each script gets a PostgreSQL database of its own
# ($JG_DB_URL), dropped on exit. jg_sql runs SQL on either, behind the
# server's back (tampering tests).
#
# Needs: bash, curl, sed, grep, sqlite3 or psql (for tampering tests).

set -u

: "${JITGATE_BIN:?set JITGATE_BIN to the jitgate binary}"
case $JITGATE_BIN in
/*) ;;
*) JITGATE_BIN=$PWD/$JITGATE_BIN ;;
esac
export JITGATE_BIN

JG_PASS=0
JG_FAIL=0
JG_PID=
JG_BG_PIDS=
JG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/jitgate-e2e.XXXXXX") || exit 2
# The server refuses to run as root: as root (CI, a fresh Debian), it is
# started with --user $JG_SERVE_USER (default nobody) and drops to that
# user after binding, so the temp dir, where it makes its database, keys
# and token file, belongs to that user. JG_AS_USER holds the flag (or
# nothing), for every `jitgate serve` a test starts (unquoted: words).
# JG_AS_OWNER runs a command as that user (nothing when not root): a
# sqlite3 that writes the server's database behind its back must not
# leave a -wal or -shm the server, as its user, cannot write.
JG_AS_USER=
JG_AS_OWNER=
if [ "$(id -u)" = 0 ]; then
	JG_SERVE_USER=${JG_SERVE_USER:-nobody}
	chown "$JG_SERVE_USER" "$JG_TMP" || exit 2
	JG_AS_USER="--user $JG_SERVE_USER"
	JG_AS_OWNER="runuser -u $JG_SERVE_USER --"
	if ! runuser -u "$JG_SERVE_USER" -- test -w "$JG_TMP"; then
		echo "lib.sh: $JG_SERVE_USER cannot enter $JG_TMP (is TMPDIR closed" \
			"to others?): use a TMPDIR others may enter, like /tmp" >&2
		rm -rf "$JG_TMP"
		exit 2
	fi
fi
# grant token signing keys: the test's own, for either backend
JITGATE_KEYS_DIR=$JG_TMP/keys
export JITGATE_KEYS_DIR
unset JITGATE_TOKEN JITGATE_URL JITGATE_CACERT

jg_cleanup() {
	local p
	for p in $JG_BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$JG_PID" ]; then
		kill "$JG_PID" 2>/dev/null
		wait "$JG_PID" 2>/dev/null
	fi
	jg_db_drop
	rm -rf "$JG_TMP"
}
trap jg_cleanup EXIT
trap 'exit 130' INT TERM

# --- reporting -------------------------------------------------------

jg_log_tail() {
	echo "  --- server log (last 15 lines) ---"
	tail -n 15 "$JG_TMP/server.log" 2>/dev/null | sed 's/^/  | /'
}

ok() {
	JG_PASS=$((JG_PASS + 1))
	echo "ok - $1"
}

# not_ok DESC EXPECTED GOT
not_ok() {
	JG_FAIL=$((JG_FAIL + 1))
	echo "not ok - $1"
	echo "  expected: $2"
	echo "  got:      $3"
	if [ -n "${JG_LAST:-}" ]; then
		echo "  last command: $JG_LAST (exit ${RC:-?})"
		[ -s "$JG_TMP/out" ] && sed 's/^/  stdout| /' "$JG_TMP/out" | head -n 20
		[ -s "$JG_TMP/err" ] && sed 's/^/  stderr| /' "$JG_TMP/err" | head -n 20
	fi
	jg_log_tail
}

# Stop the server with SIGTERM as an operator would: it must exit 0 and
# its log must hold no sanitizer or valgrind report (make sanitize).
jg_stop() {
	local rc
	[ -n "$JG_PID" ] || return 0
	kill -TERM "$JG_PID" 2>/dev/null
	wait "$JG_PID" 2>/dev/null
	rc=$?
	JG_PID=
	if [ "$rc" -eq 0 ]; then
		ok "server stops cleanly on SIGTERM"
	else
		not_ok "server stops cleanly on SIGTERM" "exit 0" "exit $rc"
	fi
	if grep -qE "Sanitizer|runtime error|Invalid (read|write)|uninitialised" "$JG_TMP/server.log"; then
		not_ok "server log free of memory errors" "no report" \
			"$(grep -m1 -E "Sanitizer|runtime error|Invalid (read|write)|uninitialised" "$JG_TMP/server.log")"
	else
		ok "server log free of memory errors"
	fi
}

jg_finish() {
	[ "${JG_BAILED:-0}" = 1 ] || jg_stop
	echo "$JG_PASS passed, $JG_FAIL failed"
	[ "$JG_FAIL" -eq 0 ]
	exit
}

# Stop the script at once (the server cannot start, setup failed).
jg_bail() {
	not_ok "$1" "${2:-setup to work}" "${3:-it did not}"
	JG_BAILED=1
	jg_finish
}

# --- assertions ------------------------------------------------------

expect_eq() { # DESC WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "$2" "$3"; fi
}

expect_ne() { # DESC UNWANTED GOT
	if [ "$2" != "$3" ]; then ok "$1"; else not_ok "$1" "not $2" "$3"; fi
}

expect_match() { # DESC ERE TEXT
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "text matching /$2/" "$3"
	fi
}

expect_no_match() { # DESC ERE TEXT
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		not_ok "$1" "no text matching /$2/" "$3"
	else
		ok "$1"
	fi
}

expect_rc() { # DESC WANT  (exit status of the last jg_run)
	expect_eq "$1 (exit $2)" "$2" "$RC"
}

# One line on stderr, "jitgate: ...", as every CLI error must be.
expect_one_error_line() { # DESC
	local n
	n=$(grep -c '' "$JG_TMP/err")
	if [ "$n" -ge 1 ] && head -n 1 "$JG_TMP/err" | grep -q '^jitgate: ' &&
		! grep -v -e '^jitgate: ' -e '^usage: ' "$JG_TMP/err" | grep -q .; then
		ok "$1"
	else
		not_ok "$1" "one 'jitgate: ...' line (and maybe a usage line)" "$ERR"
	fi
}

# --- the server ------------------------------------------------------

# Write stdin to the policy file the server will load.
jg_policy() {
	cat >"$JG_TMP/policy.yaml"
}

jg_random_port() {
	echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000))
}

# The policy the mixed-load clients (crash_client.py) expect: lab is
# approved at once, db needs one of ops, svc two. MEMBERS: ops's members,
# comma-separated.
jg_mixed_load_policy() { # MEMBERS
	jg_policy <<EOF
version: 1
groups:
  ops: {members: [$1]}
resources:
  lab: {labels: {env: lab}, actions: [read]}
  db: {labels: {env: prod}, actions: [write]}
  svc: {labels: {env: prod}, actions: [restart]}
rules:
  - name: lab
    match: {resource: lab}
    decision: auto
    max_duration: 1h
  - name: db
    match: {resource: db}
    steps: [{group: ops, count: 1}]
    max_duration: 1h
    request_ttl: 1h
  - name: svc
    match: {resource: svc}
    steps: [{group: ops, count: 2}]
    max_duration: 1h
    request_ttl: 1h
EOF
}

# Start a local helper server, `python3 SCRIPT PORT ARGS...`, on a free
# loopback port (JG_HELPER_PORT_WANT: that one): wait until it accepts
# connections, and try another port when it does not come up (a random
# port may be taken). Sets JG_HELPER_PORT and JG_HELPER_PID; ERRFILE
# collects its stderr; bails out with it when five tries fail.
jg_start_helper() { # ERRFILE SCRIPT ARGS...
	local err=$1 script=$2 port i try
	shift 2
	for try in 1 2 3 4 5; do
		port=${JG_HELPER_PORT_WANT:-$(jg_random_port)}
		python3 "$script" "$port" "$@" 2>>"$err" &
		JG_HELPER_PID=$!
		JG_BG_PIDS="$JG_BG_PIDS $JG_HELPER_PID"
		for i in $(seq 1 100); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				JG_HELPER_PORT=$port
				return 0
			fi
			kill -0 "$JG_HELPER_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$JG_HELPER_PID" 2>/dev/null
		wait "$JG_HELPER_PID" 2>/dev/null
	done
	jg_bail "helper $(basename "$script") listens" "a loopback port" "$(tail -n 5 "$err")"
}

# Start the server on a free port; sets JITGATE_URL and the admin token.
# JG_CACERT set: the server serves TLS (JG_SERVE_ARGS has --tls-cert and
# --tls-key), signed by that CA; JITGATE_URL is https then.
jg_start() {
	local try i port scheme=http ca=()
	if [ -n "${JG_CACERT:-}" ]; then
		scheme=https
		ca=(--cacert "$JG_CACERT")
	fi
	: >"$JG_TMP/server.log"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$(jg_random_port)
		# JG_SERVER_WRAP: e.g. valgrind, set by tests/run (unquoted: words)
		${JG_SERVER_WRAP:-} "$JITGATE_BIN" serve --listen "127.0.0.1:$port" --db "$JG_DB_URL" \
			--policy "$JG_TMP/policy.yaml" \
			--bootstrap-token-file "$JG_TMP/admin.token" \
			--sweep-interval 1s $JG_AS_USER ${JG_SERVE_ARGS:-} >>"$JG_TMP/server.log" 2>&1 &
		JG_PID=$!
		for i in $(seq 1 300); do
			kill -0 "$JG_PID" 2>/dev/null || break
			# Our own log must say so: another server may hold the port.
			if grep -q "listening on" "$JG_TMP/server.log" &&
				curl -fsS "${ca[@]}" -o /dev/null "$scheme://127.0.0.1:$port/healthz" 2>/dev/null; then
				JITGATE_URL="$scheme://127.0.0.1:$port"
				export JITGATE_URL
				jg_save_token admin "$(cat "$JG_TMP/admin.token")"
				return 0
			fi
			sleep 0.1
		done
		kill "$JG_PID" 2>/dev/null
		wait "$JG_PID" 2>/dev/null
		JG_PID=
		echo "# server did not come up on port $port (try $try)"
	done
	jg_bail "server starts" "jitgate serve listening and /healthz 200" "no"
}

# --- the CLI and raw HTTP --------------------------------------------

# Remember WHO's token (file + curl header file).
jg_save_token() { # WHO TOKEN
	printf '%s' "$2" >"$JG_TMP/tok.$1"
	printf 'Authorization: Bearer %s\n' "$2" >"$JG_TMP/hdr.$1"
}

# Run the CLI as WHO ("-" for no token): sets RC, OUT, ERR.
jg_run() { # WHO ARGS...
	local who=$1
	shift
	JG_LAST="jitgate $* (as $who)"
	if [ "$who" = - ]; then
		"$JITGATE_BIN" "$@" >"$JG_TMP/out" 2>"$JG_TMP/err"
	else
		JITGATE_TOKEN=$(cat "$JG_TMP/tok.$who") \
			"$JITGATE_BIN" "$@" >"$JG_TMP/out" 2>"$JG_TMP/err"
	fi
	RC=$?
	OUT=$(cat "$JG_TMP/out")
	ERR=$(cat "$JG_TMP/err")
}

# Run the CLI as WHO in the background: output in $JG_TMP/bg.NAME.*,
# pid in BG_PID.
jg_run_bg() { # NAME WHO ARGS...
	local name=$1 who=$2
	shift 2
	JITGATE_TOKEN=$(cat "$JG_TMP/tok.$who") \
		"$JITGATE_BIN" "$@" >"$JG_TMP/bg.$name.out" 2>"$JG_TMP/bg.$name.err" &
	BG_PID=$!
	JG_BG_PIDS="$JG_BG_PIDS $BG_PID"
}

# Wait (at most ~10 s) for a file to have content.
jg_wait_file() { # FILE
	local i
	for i in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Wait (at most 30 s) until `jitgate alerts` (as admin) shows ERE: the
# server's detectors run on a thread of their own.
jg_wait_alert() { # ERE
	local i
	for i in $(seq 1 300); do
		jg_run admin alerts
		printf '%s\n' "$OUT" | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# Run the next jg_start's server under libfaketime (Debian's faketime,
# installed by scripts/deps; bails without it), its offset read from
# SKEWFILE ("+0", "+100d") on every call to the wall clock. It replaces
# JG_SERVER_WRAP (valgrind: libfaketime and memcheck both intercept the
# clock).
jg_faketime() { # SKEWFILE
	local f lib=
	for f in /usr/lib/*/faketime/libfaketime.so.1; do
		[ -e "$f" ] && lib=$f
	done
	[ -n "$lib" ] || jg_bail "libfaketime" "installed by scripts/deps" "missing"
	echo "+0" >"$1"
	# ASan (make sanitize) wants its runtime first; libfaketime is first
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	JG_SERVER_WRAP="env LD_PRELOAD=$lib FAKETIME_TIMESTAMP_FILE=$1 FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS=$ASAN_OPTIONS"
}

# Create a token as admin and remember it; fails the test when refused.
jg_token() { # WHO ARGS...
	local who=$1
	shift
	jg_run admin token create "$who" "$@" -q
	if [ "$RC" -ne 0 ] || ! printf '%s' "$OUT" | grep -q '^jg_'; then
		jg_bail "token for $who" "a jg_ token" "exit $RC: $OUT $ERR"
	fi
	jg_save_token "$who" "$OUT"
}

# Raw HTTP as WHO ("-": no token, "bad": a wrong one): sets CODE, BODY.
# BODY_ARG is the request body, or @FILE.
jg_http() { # METHOD PATH WHO [BODY_ARG]
	local method=$1 path=$2 who=$3
	local args=(-sS -o "$JG_TMP/body" -w '%{http_code}' -X "$method")
	[ -n "${JG_CACERT:-}" ] && args+=(--cacert "$JG_CACERT")
	if [ "$who" = bad ]; then
		args+=(-H "Authorization: Bearer jg_thisisnotavalidtokenatallxxxxxxxxxxxxxxxxx")
	elif [ "$who" != - ]; then
		args+=(-H "@$JG_TMP/hdr.$who")
	fi
	if [ $# -ge 4 ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$4")
	fi
	JG_LAST="curl -X $method $path (as $who)"
	: >"$JG_TMP/out"
	: >"$JG_TMP/err"
	CODE=$(curl "${args[@]}" "$JITGATE_URL$path" 2>"$JG_TMP/err")
	BODY=$(cat "$JG_TMP/body" 2>/dev/null)
	cp "$JG_TMP/body" "$JG_TMP/out" 2>/dev/null
}

# The problem type slug of BODY ("urn:jitgate:problem:SLUG" -> SLUG).
problem_slug() {
	printf '%s' "$BODY" | tr -d '\n' |
		sed -n 's/.*"type"[[:space:]]*:[[:space:]]*"urn:jitgate:problem:\([^"]*\)".*/\1/p'
}

# expect_problem DESC STATUS SLUG: the last jg_http got that answer.
expect_problem() {
	local slug
	slug=$(problem_slug)
	if [ "$CODE" = "$2" ] && [ "$slug" = "$3" ]; then
		ok "$1 ($2 $3)"
	else
		not_ok "$1" "HTTP $2 type $3" "HTTP $CODE type '${slug}': $BODY"
	fi
}

# First value of a string member in compact JSON text: json_str KEY TEXT.
json_str() {
	printf '%s' "$2" | grep -o "\"$1\":\"[^\"]*\"" | head -n 1 |
		sed "s/^\"$1\":\"//; s/\"\$//"
}

# First value of a number member: json_num KEY TEXT.
json_num() {
	printf '%s' "$2" | grep -o "\"$1\":[0-9-]*" | head -n 1 | sed "s/^\"$1\"://"
}

# Number of objects with an id of the given prefix in a --json list.
count_ids() { # PREFIX TEXT
	printf '%s' "$2" | grep -o "\"id\":\"$1" | wc -l | tr -d ' '
}

# What a bad input must not change: audit length, requests, grants,
# tokens, and the reviews of one request (optional).
# The alert detectors append alert.raised events on their own thread, a
# moment after what they saw: not counted, since they are not a change the
# refused input made (and would race with the snapshot).
jg_snapshot() { # [REQ_ID]
	local a r g t s="" alerts n=0
	jg_run admin --json audit verify
	a=$(json_num count "$OUT")
	while :; do # the count and the alerts of one moment
		jg_run admin --json audit list --type alert.raised --limit 500
		alerts=$(printf '%s' "$OUT" | grep -o '"type": *"alert.raised"' | wc -l | tr -d ' ')
		jg_run admin --json audit verify
		[ "$(json_num count "$OUT")" = "$a" ] || [ $((n += 1)) -ge 20 ] && break
		a=$(json_num count "$OUT")
	done
	a=$((a - alerts))
	jg_run admin --json list --limit 500
	r=$(count_ids req_ "$OUT")
	jg_run admin --json grants --limit 500
	g=$(count_ids grt_ "$OUT")
	jg_run admin --json token list
	t=$(count_ids tok_ "$OUT")
	if [ $# -ge 1 ]; then
		jg_run admin --json show "$1"
		s="$(json_str state "$OUT")/$(json_num current_step "$OUT")/$(printf '%s' "$OUT" | grep -o '"verdict"' | wc -l | tr -d ' ')"
	fi
	echo "audit=$a requests=$r grants=$g tokens=$t req=$s"
}

# --- the database ----------------------------------------------------

JG_BACKEND=${JG_BACKEND:-sqlite}
JG_DB_NAME=

# psql on the PostgreSQL database DB of the test cluster: jg_psql DB ARGS...
jg_psql() {
	local db=$1
	shift
	"${JG_PG_BIN:-/usr/bin}/psql" -qAtX -v ON_ERROR_STOP=1 "$JG_PG_BASE/$db" "$@"
}

# Run one SQL statement on the server's database behind its back.
jg_sql() { # SQL
	if [ "$JG_BACKEND" = postgres ]; then
		jg_psql "$JG_DB_NAME" -c "$1"
	else
		$JG_AS_OWNER sqlite3 -cmd ".timeout 5000" "$JG_TMP/j.db" "$1"
	fi
}

jg_db_drop() {
	[ -n "$JG_DB_NAME" ] || return 0
	jg_psql postgres -c "DROP DATABASE IF EXISTS $JG_DB_NAME WITH (FORCE)" \
		>/dev/null 2>&1
	JG_DB_NAME=
}

case $JG_BACKEND in
sqlite)
	JG_DB_URL=$JG_TMP/j.db
	;;
postgres)
	: "${JG_PG_BASE:?JG_BACKEND=postgres needs JG_PG_BASE (tests/pg/cluster)}"
	JG_DB_NAME=jg_e2e_$$_$RANDOM
	if ! jg_psql postgres -c "CREATE DATABASE $JG_DB_NAME" >"$JG_TMP/err" 2>&1; then
		JG_DB_NAME=
		jg_bail "PostgreSQL test database" "CREATE DATABASE to work" \
			"$(cat "$JG_TMP/err")"
	fi
	JG_DB_URL=$JG_PG_BASE/$JG_DB_NAME
	;;
*)
	jg_bail "backend" "JG_BACKEND sqlite or postgres" "$JG_BACKEND"
	;;
esac
export JG_DB_URL
