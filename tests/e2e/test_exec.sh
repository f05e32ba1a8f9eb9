#!/usr/bin/env bash
# test_exec.sh - the gateway runs approved actions itself, exactly once,
# through each connector against real targets on this machine: a real
# program (a script printing its argv), a real PostgreSQL database (in
# the test cluster of tests/run, or one this script starts), a real local
# HTTP server (exec_listener.py). Shows that a changed payload, a second
# execute, and an execute after expiry or revocation are refused and run
# nothing; that "a; rm -rf /" in a param reaches the program as one
# literal argument; that a host outside the allow-list is refused before
# anything is sent, and a redirect to another port or host is not
# followed; that a param that would move the URL's path ("..") and a SQL
# payload with COMMIT or COPY are refused with 400 before anything is
# stored; that a secret crossing the output limit never comes back in
# part; that `jitgate exec` works from a shell script as a
# pipeline uses it (exit codes, an idempotency key retry returns the same
# request and never runs twice); and that a server killed between start
# and finish marks the execution unknown after its restart, never
# running it again.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# --- a PostgreSQL target database --------------------------------------

OWN_PG_DIR=
TARGET_DB=jg_exec_target_$$_$RANDOM
if [ -z "${JG_PG_BASE:-}" ]; then
	# run alone (not from tests/run): a cluster of our own
	if sh "$ROOT/tests/pg/cluster" start >"$JG_TMP/pg.env" 2>"$JG_TMP/pg.err"; then
		. "$JG_TMP/pg.env"
		OWN_PG_DIR=$JG_PG_DIR
	else
		jg_bail "PostgreSQL for the postgres connector" "a test cluster" "$(cat "$JG_TMP/pg.err")"
	fi
fi
exec_cleanup() {
	[ -n "${SLOW_PID:-}" ] && kill "$SLOW_PID" 2>/dev/null
	jg_psql postgres -c "DROP DATABASE IF EXISTS $TARGET_DB WITH (FORCE)" >/dev/null 2>&1
	[ -n "$OWN_PG_DIR" ] && sh "$ROOT/tests/pg/cluster" stop "$OWN_PG_DIR"
}
trap 'exec_cleanup; jg_cleanup' EXIT
jg_psql postgres -c "CREATE DATABASE $TARGET_DB" >/dev/null ||
	jg_bail "target database" "CREATE DATABASE" "failed"
jg_psql "$TARGET_DB" -c "CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL); INSERT INTO t VALUES (1, 0), (2, 0)" >/dev/null
target_n() { jg_psql "$TARGET_DB" -c "SELECT n FROM t WHERE id = $1"; }

# --- the HTTP target ----------------------------------------------------

HTTP_LOG=$JG_TMP/http.log
OTHER_LOG=$JG_TMP/other.log
: >"$HTTP_LOG"
: >"$OTHER_LOG"
printf 'api-s3cret-token-value\n' >"$JG_TMP/api.token"
# another service on the same host, where a redirect must not lead
jg_start_helper "$JG_TMP/http.err" "$HERE/exec_listener.py" "$JG_TMP/api.token" "$OTHER_LOG"
OTHER_PORT=$JG_HELPER_PORT
jg_start_helper "$JG_TMP/http.err" "$HERE/exec_listener.py" "$JG_TMP/api.token" "$HTTP_LOG" "$OTHER_PORT"
HTTP_PORT=$JG_HELPER_PORT

# --- programs, policy, connectors ---------------------------------------

cat >"$JG_TMP/argv.sh" <<'SH'
#!/bin/sh
echo "argc=$#"
for a in "$@"; do printf '[%s]\n' "$a"; done
SH
cat >"$JG_TMP/slow.sh" <<'SH'
#!/bin/sh
echo $$ >"$1"
exec sleep 60
SH
chmod +x "$JG_TMP/argv.sh" "$JG_TMP/slow.sh"
printf 'pg-s3cret-password\n' >"$JG_TMP/pg.pass"

jg_policy <<'YAML'
version: 1
groups:
  ops: {members: [bob]}
resources:
  box: {actions: [run, deploy]}
  autobox: {actions: [run, deploy]}
  failbox: {actions: [run]}
  sleepy: {actions: [run]}
  slowbox: {actions: [run]}
  db: {actions: [sql.read, sql.write]}
  api: {actions: [flag.set]}
  api-evil: {actions: [ping]}
  api-small: {actions: [flag.get]}
rules:
  - name: box-deploy
    match: {resource: box, action: deploy}
    steps: [{group: ops, count: 1}]
    max_duration: 10m
  - name: autobox-run
    match: {resource: autobox, action: run}
    decision: auto
    execute: auto
  - name: autobox-deploy
    match: {resource: autobox, action: deploy}
    steps: [{group: ops, count: 1}]
    execute: auto
  - name: db-write
    match: {resource: db, action: sql.write}
    steps: [{group: ops, count: 1}]
  - name: everything-else
    match: {resource: '*'}
    decision: auto
    max_duration: 1h
YAML

cat >"$JG_TMP/connectors.yaml" <<YAML
version: 1
resources:
  box:
    type: command
    program: $JG_TMP/argv.sh
    args: ['{service}', '--ref={ref}']
    workdir: $JG_TMP
    timeout: 10s
  autobox:
    type: command
    program: $JG_TMP/argv.sh
    args: ['{service}', '--ref={ref}']
  failbox:
    type: command
    program: /bin/sh
    args: [-c, 'echo failing; exit 7']
  sleepy:
    type: command
    program: /usr/bin/sleep
    args: ['5']
    timeout: 1s
  slowbox:
    type: command
    program: $JG_TMP/slow.sh
    args: ['$JG_TMP/slow.pid']
    timeout: 2s
  db:
    type: postgres
    dsn: "$JG_PG_BASE/$TARGET_DB"
    password_file: $JG_TMP/pg.pass
    statement_timeout: 5s
    max_rows: 10
  api:
    type: http
    method: POST
    url: "http://127.0.0.1:$HTTP_PORT/flags/{flag}"
    headers: {Content-Type: application/json}
    bearer_token_file: $JG_TMP/api.token
    body: '{"flag": "{flag}", "value": "{value}", "by": "{requester}"}'
    allow_hosts: [127.0.0.1]
    timeout: 5s
  api-evil:
    type: http
    url: "http://{host}:$HTTP_PORT/ping"
    allow_hosts: [127.0.0.1]
    timeout: 5s
  api-small:
    type: http
    url: "http://127.0.0.1:$HTTP_PORT/flags/{flag}"
    bearer_token_file: $JG_TMP/api.token
    allow_hosts: [127.0.0.1]
    output_limit: 20
    timeout: 5s
YAML

# A bad connectors file stops the server with FILE:LINE.
printf 'version: 1\nresources:\n  box:\n    type: command\n    program: /bin/echo\n    shell: yes\n' >"$JG_TMP/bad.yaml"
"$JITGATE_BIN" serve --listen 127.0.0.1:1 --db "$JG_TMP/bad.db" --policy "$JG_TMP/policy.yaml" \
	--connectors "$JG_TMP/bad.yaml" $JG_AS_USER >"$JG_TMP/out" 2>"$JG_TMP/err"
RC=$?
expect_eq "bad connectors file: serve exits 1" 1 "$RC"
expect_match "bad connectors file: file:line error" "bad.yaml:6: resource 'box': unknown key 'shell'" "$(cat "$JG_TMP/err")"

JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml"
jg_start
jg_token alice
jg_token bob --group ops

# The JSON of request ID as alice into REQ.
show() { jg_run alice --json show "$1"; REQ=$OUT; }
exec_state() { printf '%s' "$REQ" | grep -o '"execution":{[^}]*"state":"[a-z]*"' | sed 's/.*"state":"//; s/"$//'; }
count_execs() { jg_sql "SELECT count(*) FROM executions"; }
sha_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# --- command: one literal argument, once --------------------------------

jg_run alice exec box run --param 'service=a; rm -rf / $(touch pwned) `touch pwned2` | x' \
	--param ref=v1 --reason "INC-1 deploy"
expect_rc "exec box run succeeds" 0
expect_eq "metacharacters reach the program as one literal argument" \
	"$(printf 'argc=2\n[a; rm -rf / $(touch pwned) `touch pwned2` | x]\n[--ref=v1]')" "$OUT"
[ ! -e "$JG_TMP/pwned" ] && [ ! -e "$JG_TMP/pwned2" ] && ok "no shell ran the param" ||
	not_ok "no shell ran the param" "no pwned file" "$(ls "$JG_TMP")"
expect_match "progress on stderr" "exe_[a-z0-9]+ succeeded in [0-9]+ms \(exit 0\)" "$ERR"
RID=$(jg_sql "SELECT id FROM requests ORDER BY created_at DESC, seq DESC LIMIT 1")
show "$RID"
expect_eq "GET shows the execution" succeeded "$(exec_state)"
expect_match "GET shows its output" '"output":"argc=2\\n\[a; rm -rf' "$REQ"
jg_run alice show "$RID"
expect_match "jitgate show prints the output" '^    \[--ref=v1\]$' "$OUT"
expect_match "jitgate show prints the state" '^  state: succeeded$' "$OUT"

jg_http POST "/v1/requests/$RID/execute" alice '{}'
expect_problem "a second execute is refused" 409 already-executed
expect_eq "it ran once" 1 "$(count_execs)"
jg_sql "SELECT state, uses_left FROM grants WHERE request_id = '$RID'" >"$JG_TMP/g"
expect_eq "the grant is consumed" "consumed|0" "$(cat "$JG_TMP/g")"

# params must fit the connector: nothing is stored otherwise
jg_run alice exec box run --param service=x --reason "INC-1 missing ref"
expect_rc "a missing param is refused" 2
expect_match "says which" "needs param 'ref'" "$ERR"
jg_http POST /v1/requests alice '{"resource":"box","action":"run","reason":"x","params":{"service":"a","ref":"b","extra":"c"}}'
expect_problem "an unknown param is refused" 400 invalid-request
jg_http POST /v1/requests alice '{"resource":"box","action":"run","reason":"x","params":["a"]}'
expect_problem "params must be an object" 400 invalid-request

# --- refused: expiry, revocation, another caller --------------------------

jg_http POST /v1/requests alice '{"resource":"box","action":"run","reason":"INC-2","duration":"1s","params":{"service":"s","ref":"r"}}'
EXP=$(json_str id "$BODY")
jg_http POST /v1/requests alice '{"resource":"box","action":"run","reason":"INC-3","params":{"service":"s","ref":"r"}}'
REV=$(json_str id "$BODY")
REV_GRANT=$(json_str grant_id "$BODY")
jg_http POST "/v1/requests/$REV/execute" bob '{}'
expect_problem "another principal may not execute it" 404 not-found
jg_run alice revoke "$REV_GRANT" --reason "changed my mind"
jg_http POST "/v1/requests/$REV/execute" alice '{}'
expect_problem "execute after revocation is refused" 409 conflict
sleep 2
jg_http POST "/v1/requests/$EXP/execute" alice '{}'
expect_problem "execute after expiry is refused" 409 conflict
expect_match "and says the grant expired" 'is expired: nothing runs' "$BODY"
expect_eq "neither ran" 1 "$(count_execs)"

# --- postgres: the approved SQL, bound by its hash -----------------------

SQL='UPDATE t SET n = n + 1 WHERE id = 1'
jg_http POST /v1/requests alice "{\"resource\":\"db\",\"action\":\"sql.write\",\"reason\":\"INC-4\",\"payload\":\"$SQL\"}"
W1=$(json_str id "$BODY")
W1SHA=$(json_str payload_sha256 "$BODY")
expect_eq "the hash binds the canonical {params, payload}" \
	"$(sha_of "{\"params\":{},\"payload\":\"$SQL\"}")" "$W1SHA"
jg_run bob approve "$W1"
jg_http POST "/v1/requests/$W1/execute" alice "{\"payload_sha256\":\"$(sha_of "{\"params\":{},\"payload\":\"DROP TABLE t\"}")\"}"
expect_problem "a changed payload is refused" 409 payload-mismatch
expect_eq "the target is untouched" 0 "$(target_n 1)"
# the stored payload changed behind the gateway's back: refused too
jg_sql "UPDATE requests SET payload = 'DELETE FROM t' WHERE id = '$W1'"
jg_http POST "/v1/requests/$W1/execute" alice "{\"payload_sha256\":\"$W1SHA\"}"
expect_problem "a tampered payload is refused" 409 payload-mismatch
expect_eq "the target still has its rows" 2 "$(jg_psql "$TARGET_DB" -c 'SELECT count(*) FROM t')"
jg_sql "UPDATE requests SET payload = '$SQL' WHERE id = '$W1'"
jg_http POST "/v1/requests/$W1/execute" alice "{\"payload_sha256\":\"$W1SHA\"}"
expect_eq "the approved SQL runs (200)" 200 "$CODE"
expect_match "its result: one row affected" 'rows_affected\\":1' "$BODY"
expect_eq "the target changed once" 1 "$(target_n 1)"
jg_http POST "/v1/requests/$W1/execute" alice "{\"payload_sha256\":\"$W1SHA\"}"
expect_problem "and never twice" 409 already-executed
expect_eq "still once" 1 "$(target_n 1)"

jg_run alice exec db sql.read --payload "SELECT id, n, 'pg-s3cret-password' AS leak FROM t ORDER BY id" --reason "INC-5 report"
expect_rc "a read runs" 0
expect_match "rows come back as JSON" '"columns":\["id","n","leak"\],"rows":\[\["1","1","\[masked\]"\],\["2","0","\[masked\]"\]\]' "$OUT"
expect_no_match "the password is masked" 'pg-s3cret' "$OUT"
# what would break the connector's one transaction is refused with 400,
# before anything is stored: COMMIT (work before it would stay committed
# while the run reports a failure) and COPY (it streams, past any timeout)
N_REQ=$(jg_sql "SELECT count(*) FROM requests")
jg_http POST /v1/requests alice '{"resource":"db","action":"sql.write","reason":"INC-5 commit","payload":"UPDATE t SET n = n + 100 WHERE id = 2; COMMIT; SELECT 1/0"}'
expect_problem "a payload with COMMIT is refused" 400 invalid-request
expect_match "naming the statement" "statement 2 is COMMIT, which the postgres connector refuses" "$BODY"
jg_http POST /v1/requests alice '{"resource":"db","action":"sql.read","reason":"INC-5 copy","payload":"COPY t FROM STDIN"}'
expect_problem "a COPY payload is refused" 400 invalid-request
expect_match "naming it" "statement 1 is COPY" "$BODY"
jg_run alice exec db sql.read --payload "SELECT 1; copy t TO STDOUT" --reason "INC-5 copy out"
expect_rc "jitgate exec with COPY is a usage error" 2
expect_match "and says why" "statement 2 is COPY" "$ERR"
expect_eq "no request was stored" "$N_REQ" "$(jg_sql "SELECT count(*) FROM requests")"
jg_run alice exec db sql.read --payload "SELECT 'COMMIT; COPY' AS \"commit\", \$\$;COMMIT;\$\$ AS body -- ; COMMIT" --reason "INC-5 words"
expect_rc "the words in a string, an identifier, a dollar body, a comment are fine" 0
expect_match "and run" '"columns":\["commit","body"\],"rows":\[\["COMMIT; COPY",";COMMIT;"\]\]' "$OUT"
expect_eq "the target was never touched" 0 "$(target_n 2)"
jg_run alice exec db sql.read --payload "SELECT nope FROM t" --reason "INC-5 typo"
expect_rc "a SQL error exits 4" 4
expect_match "and says why" 'column "nope" does not exist' "$ERR"

# --- http: allow-list, redirects, secrets -------------------------------

jg_run alice exec api flag.set --param flag=beta --param 'value=on"quoted' --reason "INC-6 flag"
expect_rc "the http call succeeds" 0
expect_match "its answer is the output" '"path": "/flags/beta"' "$OUT"
expect_eq "the target got one authenticated call with the escaped body" \
	'POST /flags/beta ok {"flag": "beta", "value": "on\"quoted", "by": "alice"}' "$(cat "$HTTP_LOG")"
: >"$HTTP_LOG"
jg_run alice exec api-evil ping --param host=localhost --reason "INC-7 elsewhere"
expect_rc "a host outside the allow-list: exit 4" 4
expect_match "refused before connecting" "host 'localhost' is not in allow_hosts: nothing was sent" "$ERR"
expect_eq "nothing reached any server" "" "$(cat "$HTTP_LOG")"
jg_run alice exec api flag.set --param flag=redirect-away --param value=1 --reason "INC-8 redirect"
expect_rc "a redirect to another host: exit 4" 4
expect_match "is not followed" "redirect to another host 'localhost' refused" "$ERR"
expect_eq "only the first hop was sent" 1 "$(grep -c '' "$HTTP_LOG")"
: >"$HTTP_LOG"
jg_run alice exec api flag.set --param flag=redirect-here --param value=1 --reason "INC-9 redirect"
expect_rc "a redirect on the same host is followed" 0
expect_match "to its target" '"path": "/flags/landed"' "$OUT"

jg_run alice exec api flag.set --param flag=redirect-port --param value=1 --reason "INC-9 port"
expect_rc "a redirect to another port of the same host: exit 4" 4
expect_match "is refused" "redirect to another port $OTHER_PORT of '127.0.0.1' refused" "$ERR"
expect_eq "the other service got nothing" "" "$(cat "$OTHER_LOG")"
jg_run alice exec api flag.set --param flag=redirect-ip --param value=1 --reason "INC-9 ip"
expect_rc "a redirect to 127.0.0.2: exit 4" 4
expect_match "is refused" "redirect to another host '127.0.0.2' refused" "$ERR"
: >"$HTTP_LOG"
# a param in the URL's path stays one segment: refused before anything is stored
N_REQ=$(jg_sql "SELECT count(*) FROM requests")
for v in .. . %2e%2e a/b 'x?y' '%2F'; do
	jg_http POST /v1/requests alice "{\"resource\":\"api\",\"action\":\"flag.set\",\"reason\":\"INC-9 dots\",\"params\":{\"flag\":\"$v\",\"value\":\"1\"}}"
	expect_problem "a path param '$v' is refused" 400 invalid-request
	expect_match "and says why ('$v')" "param 'flag' may not be empty, '.' or '..'" "$BODY"
done
expect_eq "no request was stored" "$N_REQ" "$(jg_sql "SELECT count(*) FROM requests")"
expect_eq "nothing was sent" "" "$(cat "$HTTP_LOG")"
# the token crosses the 20-byte output limit, after a redirect or not
for f in secret-edge redirect-secret; do
	jg_run alice exec api-small flag.get --param flag=$f --reason "INC-9 edge"
	expect_rc "a body cut by the output limit ($f)" 0
	expect_match "keeps what comes before the token ($f)" '^0123456789' "$OUT"
	expect_no_match "never returns a part of the token ($f)" 'api-' "$OUT"
done
expect_no_match "nor puts a part of it in the trail" '0123456789api-' "$(jg_sql "SELECT details FROM audit")"

# --- jitgate exec in a pipeline -----------------------------------------

cat >"$JG_TMP/pipeline.sh" <<'SH'
#!/bin/sh
# a CI step: ask, wait, run, and fail the job with the action's status
JITGATE_TOKEN=$(cat "$JG_TMP/tok.alice") "$JITGATE_BIN" exec box deploy \
	--param service=web --param ref="$CI_REF" --reason "deploy $CI_REF INC-10" \
	--idempotency-key "pipeline-$CI_JOB" --timeout 60s >"$JG_TMP/step.out" 2>"$JG_TMP/step.err"
echo $? >"$JG_TMP/step.rc"
SH
export JG_TMP
CI_REF=v2 CI_JOB=1 sh "$JG_TMP/pipeline.sh" &
STEP=$!
JG_BG_PIDS="$JG_BG_PIDS $STEP"
for _ in $(seq 1 100); do
	PEND=$(jg_sql "SELECT id FROM requests WHERE action = 'deploy' AND state = 'pending'")
	[ -n "$PEND" ] && break
	sleep 0.1
done
jg_run bob approve "$PEND" --comment "ship it"
wait "$STEP"
expect_eq "pipeline step exits 0 once approved and run" 0 "$(cat "$JG_TMP/step.rc")"
expect_eq "and prints the program's output" "$(printf 'argc=2\n[web]\n[--ref=v2]')" "$(cat "$JG_TMP/step.out")"
expect_match "progress went to stderr" "pending: needs 1 of ops" "$(cat "$JG_TMP/step.err")"
N_REQ=$(jg_sql "SELECT count(*) FROM requests")
N_EXE=$(count_execs)
CI_REF=v2 CI_JOB=1 sh "$JG_TMP/pipeline.sh"
expect_eq "a retried step exits as the first did" 0 "$(cat "$JG_TMP/step.rc")"
expect_eq "with the same output" "$(printf 'argc=2\n[web]\n[--ref=v2]')" "$(cat "$JG_TMP/step.out")"
expect_match "it found the same request" "$PEND ran already \(started by alice\)" "$(cat "$JG_TMP/step.err")"
expect_eq "no new request" "$N_REQ" "$(jg_sql "SELECT count(*) FROM requests")"
expect_eq "no second run" "$N_EXE" "$(count_execs)"
CI_REF=v3 CI_JOB=1 sh "$JG_TMP/pipeline.sh"
expect_eq "the same key for another ask is refused" 2 "$(cat "$JG_TMP/step.rc")"
expect_match "with a reason" "was used for another request" "$(cat "$JG_TMP/step.err")"

# denied: 1; cancelled: 3; program status; timeout 124
CI_REF=v4 CI_JOB=2 sh "$JG_TMP/pipeline.sh" &
STEP=$!
for _ in $(seq 1 100); do
	PEND=$(jg_sql "SELECT id FROM requests WHERE action = 'deploy' AND state = 'pending'")
	[ -n "$PEND" ] && break
	sleep 0.1
done
jg_run bob deny "$PEND" --comment "not today"
wait "$STEP"
expect_eq "a denied step exits 1" 1 "$(cat "$JG_TMP/step.rc")"
CI_REF=v5 CI_JOB=3 sh "$JG_TMP/pipeline.sh" &
STEP=$!
for _ in $(seq 1 100); do
	PEND=$(jg_sql "SELECT id FROM requests WHERE action = 'deploy' AND state = 'pending'")
	[ -n "$PEND" ] && break
	sleep 0.1
done
jg_run alice cancel "$PEND" --reason "wrong ref"
wait "$STEP"
expect_eq "a cancelled step exits 3" 3 "$(cat "$JG_TMP/step.rc")"
jg_run alice exec failbox run --reason "INC-11 fails"
expect_rc "the program's own status is the exit status" 7
expect_eq "its output is printed" failing "$OUT"
jg_run alice exec sleepy run --reason "INC-12 slow"
expect_rc "a program stopped by its timeout exits 124" 124
expect_match "and says so" "timed out after 1s" "$ERR"
jg_run alice exec box run --param service=x --param ref=y --reason "x" --timeout 1x
expect_rc "a bad --timeout is a usage error" 2

# --- execute: auto --------------------------------------------------------

jg_http POST /v1/requests alice '{"resource":"autobox","action":"run","reason":"INC-14","params":{"service":"auto","ref":"r1"}}'
expect_eq "an execute: auto rule runs it at approval (201)" 201 "$CODE"
expect_match "the answer holds the execution" '"state":"succeeded"' "$BODY"
expect_match "started by the gateway" '"started_by":"jitgate"' "$BODY"
expect_match "with its output" '"output":"argc=2\\n\[auto\]\\n\[--ref=r1\]\\n"' "$BODY"
N_EXE=$(count_execs)
jg_run_bg auto alice exec autobox deploy --param service=web --param ref=r2 --reason "INC-15 auto deploy"
AUTO_CLI=$BG_PID
for _ in $(seq 1 100); do
	PEND=$(jg_sql "SELECT id FROM requests WHERE resource = 'autobox' AND state = 'pending'")
	[ -n "$PEND" ] && break
	sleep 0.1
done
jg_run bob --json approve "$PEND"
expect_match "the approval ran it" '"execution":\{[^}]*"state":"succeeded"' "$OUT"
expect_match "the approver does not see the output" '"output":null' "$OUT"
wait "$AUTO_CLI"
expect_eq "jitgate exec follows the gateway's run (exit 0)" 0 "$?"
expect_eq "and prints its output" "$(printf 'argc=2\n[web]\n[--ref=r2]')" "$(cat "$JG_TMP/bg.auto.out")"
expect_eq "it ran once" $((N_EXE + 1)) "$(count_execs)"

# --- a crash between start and finish ------------------------------------

rm -f "$JG_TMP/slow.pid"
jg_run_bg slow alice exec slowbox run --reason "INC-13 crash" --idempotency-key crash-1
SLOW_CLI=$BG_PID
jg_wait_file "$JG_TMP/slow.pid" || not_ok "the slow program started" "a pid file" "none"
SLOW_PID=$(cat "$JG_TMP/slow.pid")
kill -9 "$JG_PID"
wait "$JG_PID" 2>/dev/null
JG_PID=
wait "$SLOW_CLI" 2>/dev/null
SLOWREQ=$(jg_sql "SELECT request_id FROM executions WHERE state = 'started'")
expect_match "the execution was left started" '^req_' "$SLOWREQ"
kill "$SLOW_PID" 2>/dev/null # what the dead server left running
rm -f "$JG_TMP/slow.pid"
jg_start
STATE=
for _ in $(seq 1 200); do
	STATE=$(jg_sql "SELECT state FROM executions WHERE request_id = '$SLOWREQ'")
	[ "$STATE" = unknown ] && break
	sleep 0.1
done
expect_eq "after the restart it is marked unknown" unknown "$STATE"
expect_match "audited" 'execution.unknown' "$(jg_sql "SELECT type FROM audit WHERE subject = '$SLOWREQ'")"
jg_run alice exec slowbox run --reason "INC-13 crash" --idempotency-key crash-1
expect_rc "the retried step reports the unknown outcome (125)" 125
expect_match "it says the gateway lost track" "lost track" "$ERR"
[ ! -e "$JG_TMP/slow.pid" ] && ok "and nothing ran again" ||
	not_ok "and nothing ran again" "no new pid file" "$(cat "$JG_TMP/slow.pid")"
jg_http POST "/v1/requests/$SLOWREQ/execute" alice '{}'
expect_problem "an unknown execution is never run again" 409 already-executed

# --- the trail and the secrets -------------------------------------------

jg_run admin audit verify
expect_rc "the audit chain verifies" 0
for s in api-s3cret-token-value pg-s3cret-password; do
	expect_no_match "no secret in the server log ($s)" "$s" "$(cat "$JG_TMP/server.log")"
	expect_no_match "no secret in the trail ($s)" "$s" "$(jg_sql "SELECT details FROM audit")"
done

jg_finish
