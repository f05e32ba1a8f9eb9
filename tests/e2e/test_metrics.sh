#!/usr/bin/env bash
# test_metrics.sh - monitoring through the real daemon: GET /metrics
# (who may scrape it, counters that move by exactly what was done, an
# exposition `promtool check metrics` accepts, the signed checkpoint's seq
# and age), /healthz and /readyz (503 naming the audit check while another
# process holds the store's writer lock, 200 again once it lets go, 503
# naming the index once the trail went backwards), and
# `serve --log-format json` (every line of the log one JSON object, no
# secret in any).
#
# Needs promtool (Debian package prometheus, in scripts/deps).
. "$(dirname "$0")/lib.sh"

PROMTOOL=$(command -v promtool) ||
	jg_bail "promtool" "promtool on PATH (sh scripts/deps)" "missing"

jg_policy <<'EOF'
version: 1
groups:
  ops: {members: [bob]}
resources:
  lab: {labels: {env: lab}, actions: [read]}
  db: {labels: {env: prod}, actions: [write]}
  vault: {labels: {env: vault}, actions: [open]}
rules:
  - name: lab-auto
    match: {resource: lab}
    decision: auto
    max_duration: 1h
  - name: db-review
    match: {resource: db}
    steps: [{group: ops, count: 1}]
    max_duration: 1h
    request_ttl: 1h
  - name: vault-deny
    match: {resource: vault}
    decision: deny
EOF
jg_start

jg_token alice
jg_token bob --group ops
jg_token enforcer --service --role checker
jg_run admin token create scraper --service --role metrics -q
expect_rc "token create --role metrics" 0
jg_save_token scraper "$OUT"
jg_run admin token list
expect_match "token list shows the metrics role" 'scraper.*metrics' "$OUT"
jg_run admin token create nobody-really --role metric
expect_rc "an unknown role is refused" 2
expect_match "naming the roles there are" 'admin, auditor, checker or metrics' "$ERR"

# --- who may scrape --------------------------------------------------------

# Scrape /metrics as WHO into METRICS (and CODE, TYPE).
scrape() { # WHO
	TYPE=$(curl -sS -o "$JG_TMP/metrics" -w '%{http_code} %{content_type}' \
		-H "@$JG_TMP/hdr.$1" "$JITGATE_URL/metrics")
	CODE=${TYPE%% *}
	TYPE=${TYPE#* }
	METRICS=$(cat "$JG_TMP/metrics")
}

# The value of one series of METRICS (0 when absent): metric 'NAME{...}'.
metric() {
	printf '%s\n' "$METRICS" | awk -v s="$1" '$1 == s { print $2; f = 1 }
		END { if (!f) print 0 }'
}

scrape admin
expect_eq "admin scrapes /metrics" 200 "$CODE"
expect_eq "as Prometheus text" "text/plain; version=0.0.4; charset=utf-8" "$TYPE"
scrape scraper
expect_eq "a metrics-role token scrapes /metrics" 200 "$CODE"
scrape enforcer
expect_eq "a checker scrapes /metrics" 200 "$CODE"
jg_http GET /metrics -
expect_problem "no token: refused" 401 unauthenticated
jg_http GET /metrics alice
expect_problem "a plain user token: refused" 403 forbidden
# the metrics role opens /metrics and nothing else
jg_http GET /v1/audit scraper
expect_eq "the metrics role cannot read the trail" 403 "$CODE"
jg_http POST /v1/check scraper '{"principal":"alice","resource":"lab","action":"read"}'
expect_eq "nor check others" 403 "$CODE"

scrape scraper
"$PROMTOOL" check metrics <"$JG_TMP/metrics" >"$JG_TMP/promtool" 2>&1
RC=$?
expect_eq "promtool check metrics accepts the exposition" "0:" \
	"$RC:$(cat "$JG_TMP/promtool")"

# --- counters move by exactly what was done --------------------------------

APPROVED_LAB='jitgate_requests{state="approved",rule="lab-auto"}'
APPROVED_DB='jitgate_requests{state="approved",rule="db-review"}'
CANCELLED_DB='jitgate_requests{state="cancelled",rule="db-review"}'
DENIED_VAULT='jitgate_requests{state="denied",rule="vault-deny"}'
BY_POLICY='jitgate_decision_seconds_count{by="policy"}'
BY_REVIEW='jitgate_decision_seconds_count{by="review"}'
ALLOW='jitgate_checks_total{result="allow"}'
DENY='jitgate_checks_total{result="deny"}'
ERROR='jitgate_checks_total{result="error"}'
CHECK_200='jitgate_http_requests_total{route="/v1/check",method="POST",code="200"}'
CHECK_403='jitgate_http_requests_total{route="/v1/check",method="POST",code="403"}'
CHECK_N='jitgate_check_duration_seconds_count'
GRANTS='jitgate_active_grants'
SERIES="$APPROVED_LAB $APPROVED_DB $CANCELLED_DB $DENIED_VAULT $BY_POLICY
$BY_REVIEW $ALLOW $DENY $ERROR $CHECK_200 $CHECK_403 $CHECK_N $GRANTS"

declare -A BEFORE
for s in $SERIES; do BEFORE[$s]=$(metric "$s"); done

jg_run alice request lab read --reason one
jg_run alice request lab read --reason two
jg_run alice request vault open --reason "let me in"
expect_match "vault is denied by policy" 'denied' "$OUT"
jg_run alice request db write --reason "INC-1"
REQ=${OUT%% *}
jg_run bob approve "$REQ"
expect_match "bob approves db" 'approved' "$OUT"
jg_run alice request db write --reason "INC-2"
jg_run alice cancel "${OUT%% *}" --reason "not needed"
expect_rc "alice cancels the second" 0
for i in 1 2 3; do jg_run enforcer check alice lab read; done
expect_rc "checks allow alice" 0
for i in 1 2; do jg_run enforcer check carol lab read; done
expect_rc "checks deny carol" 1
jg_http POST /v1/check alice '{"principal":"bob","resource":"lab","action":"read"}'
expect_eq "alice may not check bob" 403 "$CODE"

# Scrape until SERIES has moved past BEFORE (5 s at most).
wait_moved() { # SERIES
	local i
	for i in $(seq 1 50); do
		scrape scraper
		[ "$(metric "$1")" -gt "${BEFORE[$1]}" ] && return
		sleep 0.1
	done
}
# The store's counts are read at most once a second: wait for the scrape
# that sees the last request, then compare exactly.
wait_moved "$CANCELLED_DB"
delta() { # SERIES WANT
	expect_eq "$1 moved by $2" "$2" $(($(metric "$1") - ${BEFORE[$1]}))
}
delta "$APPROVED_LAB" 2
delta "$APPROVED_DB" 1
delta "$CANCELLED_DB" 1
delta "$DENIED_VAULT" 1
delta "$BY_POLICY" 3
delta "$BY_REVIEW" 1
delta "$ALLOW" 3
delta "$DENY" 2
delta "$ERROR" 1
delta "$CHECK_200" 5
delta "$CHECK_403" 1
delta "$CHECK_N" 6
delta "$GRANTS" 3
expect_eq "no request is left pending" 0 \
	"$(metric 'jitgate_requests{state="pending",rule="db-review"}')"

jg_run admin --json audit verify
EVENTS=$(json_num count "$OUT")
expect_eq "jitgate_audit_last_seq is the trail's length" "$EVENTS" \
	"$(metric jitgate_audit_last_seq)"
expect_eq "the index applied all of it" "$EVENTS" \
	"$(metric jitgate_sync_applied_seq)"
expect_eq "the store's counts were read" 1 "$(metric jitgate_store_up)"
expect_eq "no notification waits (none configured)" 0 \
	"$(metric jitgate_outbox_depth)"
expect_eq "the trail did not go backwards" 0 "$(metric jitgate_audit_halted)"
expect_match "the index is in step (synced within the last seconds)" \
	'^0(\.[0-9]+)?$|^[1-4](\.[0-9]+)?$' "$(metric jitgate_sync_lag_seconds)"
"$PROMTOOL" check metrics <"$JG_TMP/metrics" >"$JG_TMP/promtool" 2>&1
RC=$?
expect_eq "promtool accepts it with every family filled" "0:" \
	"$RC:$(cat "$JG_TMP/promtool")"
expect_eq "histogram buckets end with +Inf = _count" \
	"$(metric "$CHECK_N")" \
	"$(metric 'jitgate_check_duration_seconds_bucket{le="+Inf"}')"

# alerts by kind: a policy reload raises policy_reload (docs/alerts.md);
# the detectors' thread sees it within its round
RELOADS='jitgate_alerts_raised_total{kind="policy_reload"}'
BEFORE[$RELOADS]=$(metric "$RELOADS")
expect_eq "every kind is a series, from 0" 0 "$(metric 'jitgate_alerts_raised_total{kind="collusion"}')"
jg_http POST /v1/policy/reload admin
expect_eq "an admin reloads the policy" 200 "$CODE"
wait_moved "$RELOADS"
delta "$RELOADS" 1

# --- /healthz and /readyz --------------------------------------------------

jg_http GET /healthz -
expect_eq "/healthz: alive" "200 ok" "$CODE $(json_str status "$BODY")"
jg_http GET /readyz -
expect_eq "/readyz is public and ready" "200 ready" "$CODE $(json_str status "$BODY")"
expect_match "listing each check" '"store":\{"ok":true\}.*"audit":\{"ok":true\}.*"index":\{"ok":true\}' "$BODY"
jg_run admin --json audit verify # the reload and its alert since
AUDIT_LEN=$(json_num count "$OUT")

# Another process takes the store's writer lock and keeps it: no audited
# change can be made, so the server is not ready (after the wait any write
# would wait: SQLite's 5 s busy timeout, PostgreSQL's 10 s lock_timeout).
if [ "$JG_BACKEND" = postgres ]; then
	"${JG_PG_BIN:-/usr/bin}/psql" -qAtX "$JG_PG_BASE/$JG_DB_NAME?application_name=jg_lock_holder" \
		-c "BEGIN; SELECT pg_advisory_xact_lock(1785135106); SELECT pg_sleep(120);" \
		>/dev/null 2>&1 &
	JG_BG_PIDS="$JG_BG_PIDS $!"
	for i in $(seq 1 100); do
		[ "$(jg_psql "$JG_DB_NAME" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -gt 0 ] && break
		sleep 0.1
	done
	release_lock() {
		jg_psql "$JG_DB_NAME" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'jg_lock_holder'" >/dev/null
	}
else
	$JG_AS_OWNER python3 -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(120)' "$JG_TMP/j.db" "$JG_TMP/holder.pid" 2>"$JG_TMP/holder.err" &
	JG_BG_PIDS="$JG_BG_PIDS $!"
	jg_wait_file "$JG_TMP/holder.pid" ||
		jg_bail "a process holds the writer lock" "its pid" "$(cat "$JG_TMP/holder.err")"
	release_lock() {
		kill "$(cat "$JG_TMP/holder.pid")"
	}
fi
jg_http GET /readyz -
expect_eq "/readyz: 503 while no write can begin" 503 "$CODE"
expect_match "naming the audit check, and only it" '"failing":\["audit"\]' "$BODY"
expect_match "saying why" '"audit":\{"ok":false,"reason":"no write transaction can begin' "$BODY"
jg_http GET /healthz -
expect_eq "/healthz stays 200 (alive, no store access)" 200 "$CODE"
release_lock
for i in $(seq 1 100); do
	jg_http GET /readyz -
	[ "$CODE" = 200 ] && break
	sleep 0.1
done
expect_eq "/readyz: 200 again once the lock is let go" 200 "$CODE"
jg_run admin --json audit verify
expect_eq "probing wrote nothing to the trail" "$AUDIT_LEN" "$(json_num count "$OUT")"

# The trail cut short behind the server's back: its index halts (it allows
# nothing until restart), so it is not ready, and /metrics says so.
jg_sql "DELETE FROM audit WHERE seq = $AUDIT_LEN" >/dev/null
for i in $(seq 1 100); do # the next sync step (100 ms) notices
	jg_http GET /readyz -
	[ "$CODE" = 503 ] && break
	sleep 0.1
done
expect_eq "/readyz: 503 once the trail went backwards" 503 "$CODE"
expect_match "naming the index check, and only it" '"failing":\["index"\]' "$BODY"
expect_match "saying why, without the details" \
	'"index":\{"ok":false,"reason":"the audit trail went backwards under this server: it allows nothing until restart"\}' "$BODY"
scrape scraper
expect_eq "jitgate_audit_halted is 1" 1 "$(metric jitgate_audit_halted)"

# --- serve --log-format json, with signed checkpoints ----------------------

jg_stop
# the checkpoint key is made on start, in a directory of the server's user;
# no sink, so the server warns (a "warn" line)
mkdir -m 700 "$JG_TMP/ckpt"
[ -z "$JG_AS_USER" ] || chown "$JG_SERVE_USER" "$JG_TMP/ckpt"
JG_SERVE_ARGS="--log-format json --checkpoint-key $JG_TMP/ckpt/key.pem --checkpoint-interval 1"
jg_start
jg_run admin token create logged -q
LOGGED=$OUT
jg_run alice request lab read --reason "json log"
jg_run enforcer check alice lab read
jg_http GET /metrics bad
jg_http GET "/v1/requests/req_%0a%22x%ff%c3%a9" alice
# the signer runs every second: wait (10 s at most) for the head signed
for i in $(seq 1 100); do
	scrape scraper
	[ "$(metric jitgate_audit_checkpoint_seq)" = "$(metric jitgate_audit_last_seq)" ] && break
	sleep 0.1
done
expect_eq "jitgate_audit_checkpoint_seq reaches the trail's head" \
	"$(metric jitgate_audit_last_seq)" "$(metric jitgate_audit_checkpoint_seq)"
expect_match "jitgate_audit_checkpoint_age_seconds is a count of seconds" \
	'^[0-9]+$' "$(metric jitgate_audit_checkpoint_age_seconds)"
jg_stop
python3 - "$JG_TMP/server.log" >"$JG_TMP/logcheck" 2>&1 <<'EOF'
import json, re, sys
# valgrind's own lines (make valgrind wraps the server) are not the server's
lines = [l for l in open(sys.argv[1], encoding="utf-8")
         if not re.match(r"==[0-9]+==", l)]
n = 0
for i, line in enumerate(lines, 1):
    o = json.loads(line)
    assert isinstance(o, dict), "line %d is not an object" % i
    for k in ("ts", "level", "msg"):
        assert k in o, "line %d has no %s: %s" % (i, k, line)
    assert o["level"] in ("info", "warn", "error"), line
    n += 1
kinds = [json.loads(l)["msg"] for l in lines]
assert "request" in kinds and "stopping" in kinds, kinds
assert any(m.startswith("listening on") for m in kinds), kinds
assert any(json.loads(l)["level"] == "warn" and "checkpoint-sink" in
           json.loads(l)["msg"] for l in lines), "no warn line"
print("ok %d" % n)
EOF
expect_match "every log line is one JSON object with ts, level, msg" '^ok [0-9]+$' "$(cat "$JG_TMP/logcheck")"
expect_match "an access line carries method, path, status, who, ms" \
	'"msg":"request","method":"POST","path":"/v1/check","status":200,"who":"enforcer","ms":' \
	"$(cat "$JG_TMP/server.log")"
# (the status differs by backend: 404 on SQLite, 503 on PostgreSQL,
# which refuses the bytes outright)
if grep -qF '"path":"/v1/requests/req_?\"x???","status":' "$JG_TMP/server.log"; then
	ok "a path with a newline, a quote and bytes not UTF-8 stays one line, escaped"
else
	not_ok "a path with a newline, a quote and bytes not UTF-8 stays one line, escaped" \
		'"path":"/v1/requests/req_?\"x???"' "$(grep -F 'req_' "$JG_TMP/server.log")"
fi
leaked=
for who in admin alice bob enforcer scraper; do
	grep -qF "$(cat "$JG_TMP/tok.$who")" "$JG_TMP/server.log" && leaked="$leaked $who"
done
grep -qF "$LOGGED" "$JG_TMP/server.log" && leaked="$leaked logged"
grep -qF "thisisnotavalidtoken" "$JG_TMP/server.log" && leaked="$leaked bad"
expect_eq "no token secret in the log" "" "$leaked"

jg_finish
