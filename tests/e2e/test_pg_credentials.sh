#!/usr/bin/env bash
# test_pg_credentials.sh - temporary PostgreSQL login roles (the
# pg_credentials connector) against a real PostgreSQL this script starts
# for itself (tests/pg/cluster; the store is whatever JG_BACKEND says):
# the holder of a live grant gets a role and password once and connects
# with psql; nobody else gets them; a second fetch is refused; revoke
# makes the role unusable by the time a bounded poll (10 tries, 0.1 s
# apart) looks, and ends an open session; nothing before a grant's
# start; expiry drops it; an extension
# moves the role's VALID UNTIL; a role that cannot be dropped is retried
# and delays no other; a target
# database that is down is retried until the role is dropped; kill -9 of
# the server, the grant expiring while it is down, restart: the role is
# gone before the server answers; the password is in neither the audit
# export nor the server log.
#
# The target cluster checks passwords (scram-sha-256) for every role but
# its superuser, so that a dropped or expired role is really refused.
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)

# --- the target database -----------------------------------------------

T_DIR=
t_cleanup() {
	local p
	for p in $JG_BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	[ -n "$T_DIR" ] && sh "$root/tests/pg/cluster" stop "$T_DIR" >/dev/null 2>&1
	jg_cleanup
}
trap t_cleanup EXIT

if ! sh "$root/tests/pg/cluster" start >"$JG_TMP/cluster.env" 2>"$JG_TMP/cluster.err"; then
	jg_bail "target PostgreSQL starts" "tests/pg/cluster start" "$(cat "$JG_TMP/cluster.err")"
fi
T_DIR=$(sed -n "s/^JG_PG_DIR='\(.*\)'\$/\1/p" "$JG_TMP/cluster.env")
T_BIN=$(sed -n "s/^JG_PG_BIN='\(.*\)'\$/\1/p" "$JG_TMP/cluster.env")
T_BASE=$(sed -n "s/^JG_PG_BASE='\(.*\)'\$/\1/p" "$JG_TMP/cluster.env")
T_PORT=${T_BASE##*:}

tsql() { # DB SQL: as the superuser
	"$T_BIN/psql" -qAtX -v ON_ERROR_STOP=1 "$T_BASE/$1" -c "$2"
}

# passwords for everyone but the superuser (the cluster trusts all)
cat >"$T_DIR/data/pg_hba.conf" <<'HBA'
local all jitgate trust
host all jitgate 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
tsql postgres "SELECT pg_reload_conf()" >/dev/null

ADMIN_PW=admin-$RANDOM$RANDOM$RANDOM
if ! tsql postgres "CREATE DATABASE app" >"$JG_TMP/err" 2>&1 ||
	! tsql postgres "CREATE ROLE jitgate_admin LOGIN CREATEROLE PASSWORD '$ADMIN_PW';
		GRANT pg_signal_backend TO jitgate_admin;
		CREATE ROLE app_rw NOLOGIN;" >>"$JG_TMP/err" 2>&1 ||
	! tsql postgres "CREATE DATABASE other" >>"$JG_TMP/err" 2>&1 ||
	! tsql other "GRANT CREATE ON SCHEMA public TO app_rw" >>"$JG_TMP/err" 2>&1 ||
	! tsql app "CREATE TABLE notes (t text); INSERT INTO notes VALUES ('hello');
		GRANT SELECT ON notes TO app_rw; GRANT CREATE ON SCHEMA public TO app_rw;" \
		>>"$JG_TMP/err" 2>&1; then
	jg_bail "target database set up" "roles and a table" "$(cat "$JG_TMP/err")"
fi
printf '%s\n' "$ADMIN_PW" >"$JG_TMP/admin.pass"
chmod 0600 "$JG_TMP/admin.pass"

cat >"$JG_TMP/connectors.yaml" <<YAML
version: 1
resources:
  app-db:
    type: pg_credentials
    dsn: "host=127.0.0.1 port=$T_PORT dbname=app user=jitgate_admin"
    password_file: $JG_TMP/admin.pass
    role: app_rw
    connection_limit: 3
    timeout: 10s
YAML

jg_policy <<'EOF'
version: 1
resources:
  app-db: {labels: {env: prod}, actions: [db.login]}
rules:
  - name: logins
    match: {resource: app-db}
    decision: auto
    max_duration: 1h
    extensions: {auto: 1}
EOF

JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml"
jg_start
jg_token alice
jg_token bob

# The credentials of grant G as alice (JSON), into CRED*.
fetch() { # GRANT
	jg_run alice --json credentials "$1"
	CRED=$OUT
	CRED_ROLE=$(json_str role "$CRED")
	CRED_PW=$(json_str password "$CRED")
}

# psql as ROLE with PASSWORD on app; sets PRC and POUT.
login() { # ROLE PASSWORD [SQL]
	POUT=$(PGPASSWORD=$2 PGCONNECT_TIMEOUT=5 "$T_BIN/psql" -qAtX \
		-h 127.0.0.1 -p "$T_PORT" -U "$1" -d app \
		-c "${3:-SELECT t FROM notes}" 2>&1)
	PRC=$?
}

role_exists() { # ROLE -> 1 or 0
	tsql postgres "SELECT count(*) FROM pg_roles WHERE rolname = '$1'"
}

grant_of() { # DURATION
	jg_run alice --json request app-db db.login --reason "INC-7 fix" --duration "$1"
	json_str grant_id "$OUT"
}

PASSWORDS=()

# --- the holder gets them once, and connects ---------------------------

G1=$(grant_of 1h)
expect_match "alice holds a grant" '^grt_' "$G1"

jg_http POST "/v1/grants/$G1/credentials" bob
expect_problem "another principal cannot fetch them" 404 not-found
jg_http POST "/v1/grants/$G1/credentials" admin
expect_problem "nor can an admin: only the holder" 403 forbidden
expect_match "saying so" "only the holder of grant $G1 may fetch its credentials" "$BODY"

jg_run alice credentials "$G1"
expect_rc "jitgate credentials: the holder gets them" 0
PRINTED=$OUT
expect_match "psql-ready: a URI and PG* lines" \
	"# psql 'postgresql://jg_grt_[a-z0-9_]+:[A-Za-z0-9_-]+@127\.0\.0\.1:$T_PORT/app'" "$PRINTED"
ROLE1=$(printf '%s\n' "$PRINTED" | sed -n "s/^export PGUSER='\(.*\)'\$/\1/p")
PW1=$(printf '%s\n' "$PRINTED" | sed -n "s/^export PGPASSWORD='\(.*\)'\$/\1/p")
PASSWORDS+=("$PW1")
expect_eq "the role is named after the grant" "jg_$G1" "$ROLE1"
expect_match "a long random password" '^jg_[A-Za-z0-9_-]{43}$' "$PW1"

# the printed lines, sourced, are all psql needs
SOURCED=$( (unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD
	eval "$PRINTED"
	"$T_BIN/psql" -qAtX -c "SELECT current_user || ' ' || t FROM notes") 2>&1)
expect_eq "psql connects with the sourced PG* lines, with the role's privileges" \
	"$ROLE1 hello" "$SOURCED"

expect_eq "VALID UNTIL is the grant's expiry, member of app_rw, limit 3" "t|t|3" \
	"$(tsql postgres "SELECT rolvaliduntil IS NOT NULL AND rolvaliduntil < now() + interval '1 hour 1 minute',
		pg_has_role('$ROLE1', 'app_rw', 'MEMBER'), rolconnlimit FROM pg_roles WHERE rolname = '$ROLE1'" | tr -d ' ')"

jg_http POST "/v1/grants/$G1/credentials" alice
expect_problem "a second fetch is refused" 409 conflict
expect_match "and says they were shown once" "shown once" "$BODY"
login "$ROLE1" "$PW1"
expect_eq "the first password still works after a refused second fetch" "0 hello" "$PRC $POUT"

jg_run admin --json audit list --type credentials.issued --subject "$G1"
expect_match "credentials.issued audited with the role" "\"role\":\"$ROLE1\"" "$OUT"

# --- revoke: unusable at once, open session ended -----------------------

# it makes something of its own (what it made must not stop its drop)
login "$ROLE1" "$PW1" "CREATE TABLE scratch_inc7 (n int)"
expect_eq "the role creates a table" 0 "$PRC"

# an open session, busy for a minute
PGPASSWORD=$PW1 "$T_BIN/psql" -qAtX -h 127.0.0.1 -p "$T_PORT" -U "$ROLE1" -d app \
	-c "SELECT pg_sleep(60)" >"$JG_TMP/long.out" 2>&1 &
LONG_PID=$!
JG_BG_PIDS="$JG_BG_PIDS $LONG_PID"
for _ in $(seq 1 100); do
	[ "$(tsql postgres "SELECT count(*) FROM pg_stat_activity WHERE usename = '$ROLE1'")" -ge 1 ] && break
	sleep 0.1
done
expect_eq "an open session of the role" 1 \
	"$(tsql postgres "SELECT count(*) FROM pg_stat_activity WHERE usename = '$ROLE1'")"

jg_run admin revoke "$G1" --reason "done with it"
expect_rc "revoke" 0
refused=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	login "$ROLE1" "$PW1" "SELECT 1"
	if [ "$PRC" -ne 0 ]; then
		refused=1
		break
	fi
	sleep 0.1
done
expect_eq "login refused within a bounded poll of 10 tries over 1 s after revoke" 1 "$refused"
ended=0
for _ in $(seq 1 10); do
	if ! kill -0 "$LONG_PID" 2>/dev/null; then
		ended=1
		break
	fi
	sleep 0.1
done
expect_eq "the open session is terminated within the same bound" 1 "$ended"
wait "$LONG_PID" 2>/dev/null
expect_ne "the session's psql failed" 0 "$?"
expect_match "terminated by the administrator" "terminat" "$(cat "$JG_TMP/long.out")"
# the drop follows the terminations in the credentials worker (here with
# REASSIGN OWNED: the role made a table): it may land a moment after the
# session's psql has seen its end
for _ in $(seq 1 30); do
	[ "$(role_exists "$ROLE1")" = 0 ] && break
	sleep 0.1
done
expect_eq "the role is gone from pg_roles (within a bounded poll of 3 s)" 0 "$(role_exists "$ROLE1")"
expect_eq "what it made is kept, owned by the admin role" "jitgate_admin" \
	"$(tsql app "SELECT tableowner FROM pg_tables WHERE tablename = 'scratch_inc7'")"
jg_run admin --json audit list --type credentials.revoked --subject "$G1"
expect_match "credentials.revoked audited with the role" "\"role\":\"$ROLE1\"" "$OUT"
jg_http POST "/v1/grants/$G1/credentials" alice
expect_problem "no credentials for a revoked grant" 409 conflict

# --- scheduled access: credentials only from the grant's start -----------

START=$(( $(date +%s) + 4 ))
jg_run alice --json request app-db db.login --reason "INC-7 window" --duration 10m \
	--start "$(date -u -d "@$START" +%Y-%m-%dT%H:%M:%SZ)"
G7=$(json_str grant_id "$OUT")
expect_match "a scheduled grant" '^grt_' "$G7"
jg_http POST "/v1/grants/$G7/credentials" alice
expect_problem "no credentials before the grant's start" 409 conflict
expect_match "saying when it starts" "grant $G7 starts at " "$BODY"
expect_eq "and no role was made" 0 "$(role_exists "jg_$G7")"
while [ "$(date +%s)" -le "$START" ]; do
	sleep 0.2
done
fetch "$G7"
PASSWORDS+=("$CRED_PW")
expect_eq "from its start the holder gets them" "jg_$G7" "$CRED_ROLE"
login "$CRED_ROLE" "$CRED_PW"
expect_eq "and connects" "0 hello" "$PRC $POUT"
jg_run alice done "$G7"

# --- expiry --------------------------------------------------------------

G2=$(grant_of 6s)
fetch "$G2"
PASSWORDS+=("$CRED_PW")
expect_match "credentials for a short grant" '^jg_grt_' "$CRED_ROLE"
# wait (bounded) for the expiry, then for the worker to see it
for _ in $(seq 1 150); do
	[ "$(role_exists "$CRED_ROLE")" = 0 ] && break
	sleep 0.1
done
expect_eq "after expiry the role is dropped" 0 "$(role_exists "$CRED_ROLE")"
login "$CRED_ROLE" "$CRED_PW" "SELECT 1"
expect_ne "and its login is refused" 0 "$PRC"
jg_http POST "/v1/grants/$G2/credentials" alice
expect_problem "no credentials after expiry" 409 conflict
expect_match "saying it expired" "expired" "$BODY"

# --- a role that cannot be dropped delays no other -----------------------

# what it owns in another database than the connector's stops its drop
G8=$(grant_of 1h)
fetch "$G8"
PASSWORDS+=("$CRED_PW")
ROLE8=$CRED_ROLE
POUT=$(PGPASSWORD=$CRED_PW "$T_BIN/psql" -qAtX -h 127.0.0.1 -p "$T_PORT" -U "$ROLE8" \
	-d other -c "CREATE TABLE elsewhere (n int)" 2>&1)
expect_eq "the role makes a table in another database" "" "$POUT"
G9=$(grant_of 20s)
fetch "$G9"
PASSWORDS+=("$CRED_PW")
ROLE9=$CRED_ROLE
UNTIL9=$(date -d "$(json_str valid_until "$CRED")" +%s)
jg_run admin revoke "$G8"
for _ in $(seq 1 50); do
	grep -q "role $ROLE8 of grant $G8 not dropped yet" "$JG_TMP/server.log" && break
	sleep 0.1
done
expect_match "its failed drop is logged with PostgreSQL's reason" \
	"role $ROLE8 of grant $G8 not dropped yet: .*(depend|owned|privileges)" "$(cat "$JG_TMP/server.log")"
# the other grant expires (no poke: only the worker's passes see it)
while [ "$(date +%s)" -le "$UNTIL9" ]; do
	sleep 0.2
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(role_exists "$ROLE9")" = 0 ] && break
	sleep 0.1
done
expect_eq "another grant's role goes at its expiry (bounded poll) all the same" 0 \
	"$(role_exists "$ROLE9")"
expect_eq "the stuck role is not gone yet (retried)" 1 "$(role_exists "$ROLE8")"
tsql other "DROP TABLE elsewhere" >/dev/null
for _ in $(seq 1 300); do
	[ "$(role_exists "$ROLE8")" = 0 ] && break
	sleep 0.1
done
expect_eq "once what held it is gone, the retried drop succeeds" 0 "$(role_exists "$ROLE8")"

# --- an extended grant: VALID UNTIL follows ------------------------------

G6=$(grant_of 10m)
fetch "$G6"
PASSWORDS+=("$CRED_PW")
ROLE6=$CRED_ROLE
until_of() { # ROLE: its VALID UNTIL in epoch seconds
	tsql postgres "SELECT extract(epoch FROM rolvaliduntil)::bigint FROM pg_roles WHERE rolname = '$1'"
}
BEFORE=$(until_of "$ROLE6")
jg_run alice --json extend "$G6" --duration 10m --reason "INC-7 takes longer"
expect_rc "the grant is extended" 0
for _ in $(seq 1 50); do
	[ "$(until_of "$ROLE6")" = $((BEFORE + 600)) ] && break
	sleep 0.1
done
expect_eq "the role's VALID UNTIL moves with the grant's expiry" $((BEFORE + 600)) \
	"$(until_of "$ROLE6")"
jg_run alice done "$G6"
expect_rc "done" 0

# --- the target database down: retried, never lost -----------------------

# pg_ctl as the cluster's owner (tests/pg/cluster runs it as postgres or
# nobody when we are root)
t_ctl() {
	local owner
	owner=$(stat -c %U "$T_DIR/data")
	if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
		(cd "$T_DIR" && runuser -u "$owner" -- "$T_BIN/pg_ctl" -D "$T_DIR/data" "$@")
	else
		(cd "$T_DIR" && "$T_BIN/pg_ctl" -D "$T_DIR/data" "$@")
	fi
}

G4=$(grant_of 1h)
fetch "$G4"
PASSWORDS+=("$CRED_PW")
ROLE4=$CRED_ROLE
G5=$(grant_of 1h)
t_ctl -m fast -w stop >/dev/null 2>&1
jg_http POST "/v1/grants/$G5/credentials" alice
expect_problem "target database down: fetching is 503, may be retried" 503 busy
jg_run admin revoke "$G4" --reason "while the database is down"
expect_rc "revoke while the target database is down" 0
logged=0
for _ in $(seq 1 100); do
	grep -q "role $ROLE4 of grant $G4 not dropped yet" "$JG_TMP/server.log" && { logged=1; break; }
	sleep 0.1
done
expect_eq "the failed drop is logged" 1 "$logged"
t_ctl -l "$T_DIR/log" -w -t 60 start >/dev/null 2>&1
for _ in $(seq 1 300); do
	[ "$(role_exists "$ROLE4")" = 0 ] && break
	sleep 0.1
done
expect_eq "once the database is back the role is dropped (retried with back-off)" 0 \
	"$(role_exists "$ROLE4")"
fetch "$G5"
PASSWORDS+=("$CRED_PW")
expect_match "the refused fetch handed nothing out: the holder gets them now" \
	'^jg_grt_' "$CRED_ROLE"
login "$CRED_ROLE" "$CRED_PW"
expect_eq "and connects" "0 hello" "$PRC $POUT"
jg_run alice done "$G5"
for _ in $(seq 1 10); do
	[ "$(role_exists "$CRED_ROLE")" = 0 ] && break
	sleep 0.1
done
expect_eq "done: the role goes within a bounded poll of 10 tries over 1 s" 0 \
	"$(role_exists "$CRED_ROLE")"

# --- kill -9, expiry while down, restart ---------------------------------

G3=$(grant_of 4s)
fetch "$G3"
PASSWORDS+=("$CRED_PW")
ROLE3=$CRED_ROLE
expect_eq "a role for the grant about to outlive the server" 1 "$(role_exists "$ROLE3")"
{ kill -9 "$JG_PID"; wait "$JG_PID"; } 2>/dev/null
JG_PID=
UNTIL=$(date -d "$(json_str valid_until "$CRED")" +%s)
while [ "$(date +%s)" -le $((UNTIL + 1)) ]; do
	sleep 0.5
done
expect_eq "the grant expired while the server was down: the role still exists" 1 \
	"$(role_exists "$ROLE3")"
jg_start
expect_eq "restart: the role is gone before the server answers" 0 "$(role_exists "$ROLE3")"
jg_run admin --json audit list --type credentials.revoked --subject "$G3"
expect_match "its credentials.revoked event" "\"role\":\"$ROLE3\"" "$OUT"

# --- the password is nowhere ---------------------------------------------

jg_run admin audit export -o "$JG_TMP/export.jsonl"
expect_rc "audit export" 0
leaks=0
for pw in "${PASSWORDS[@]}"; do
	[ -n "$pw" ] || { leaks=$((leaks + 1)); continue; } # a fetch failed
	grep -qF "$pw" "$JG_TMP/export.jsonl" && leaks=$((leaks + 1))
	grep -qF "$pw" "$JG_TMP/server.log" && leaks=$((leaks + 1))
done
expect_eq "no password in the audit export or the server log (${#PASSWORDS[@]} checked)" 0 "$leaks"
expect_eq "the admin's password is in neither" 0 \
	"$(cat "$JG_TMP/export.jsonl" "$JG_TMP/server.log" | grep -cF "$ADMIN_PW")"
expect_eq "the export holds the issue events" 9 \
	"$(grep -c '"credentials.issued"' "$JG_TMP/export.jsonl")"

jg_finish
