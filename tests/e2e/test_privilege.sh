#!/usr/bin/env bash
# test_privilege.sh - least privilege and safe files (issue 12): as root,
# `jitgate serve` refuses to run without --user and then really becomes
# that user (kernel's view in /proc, and the id a connector program
# sees); everything it creates is 0600; a policy or connectors file in a
# directory others may write is refused at start and at reload, naming
# the path; the bootstrap token goes only to its file, which is created
# exclusively (an existing file or a link is refused, nothing minted);
# a principal that differs from an existing one only by case is refused;
# jitgate's own tokens may get a lifetime (refused after it, 401), show
# their last use, and the ones unused for a while are listed (--stale).
#
# The root-only parts are skipped (and say so) when not run as root.
. "$(dirname "$0")/lib.sh"

mode_of() { stat -c %a "$1" 2>/dev/null || echo missing; }
# A serve that must be refused: like jg_run, but a server that starts
# instead is stopped after a while (exit 124) rather than hanging here.
try_serve() { # ARGS...: a serve that must be refused (on port 0: no port to collide on)
	JG_LAST="jitgate serve $*"
	timeout 20 "$JITGATE_BIN" serve "$@" >"$JG_TMP/out" 2>"$JG_TMP/err"
	RC=$?
	OUT=$(cat "$JG_TMP/out")
	ERR=$(cat "$JG_TMP/err")
}
AS_ROOT=0
[ "$(id -u)" = 0 ] && AS_ROOT=1

cat >"$JG_TMP/id.sh" <<'SH'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g)"
SH
chmod 755 "$JG_TMP/id.sh"
jg_policy <<'YAML'
version: 1
groups:
  ops: {members: [bob, carol]}
resources:
  box: {actions: [run]}
rules:
  - name: everything
    match: {resource: '*'}
    decision: auto
    max_duration: 1h
YAML
cat >"$JG_TMP/connectors.yaml" <<YAML
version: 1
resources:
  box:
    type: command
    program: $JG_TMP/id.sh
    timeout: 10s
YAML
chmod 600 "$JG_TMP/connectors.yaml" # root may keep it to itself

# --- root without --user ------------------------------------------------

if [ "$AS_ROOT" = 1 ]; then
	try_serve --listen 127.0.0.1:0 --db "$JG_TMP/r.db" \
		--policy "$JG_TMP/policy.yaml"
	expect_rc "as root without --user: refused" 2
	expect_eq "saying what to do" \
		"jitgate: refusing to serve as root: give --user NAME (the server drops to it after binding)" "$ERR"
	expect_eq "nothing was made" missing "$(mode_of "$JG_TMP/r.db")"
	try_serve --listen 127.0.0.1:0 --db "$JG_TMP/r.db" \
		--policy "$JG_TMP/policy.yaml" --user no-such-user-jg
	expect_rc "an unknown --user: refused" 2
	expect_match "naming it" "^jitgate: --user no-such-user-jg: " "$ERR"
	try_serve --listen 127.0.0.1:0 --db "$JG_TMP/r.db" \
		--policy "$JG_TMP/policy.yaml" --user root
	expect_rc "--user root: refused" 2
else
	echo "# skip: not root, the refusal of root is not testable here"
fi

# --- a port below 1024, bound before the drop --------------------------------

if [ "$AS_ROOT" = 1 ]; then
	LOWPORT=
	for try in 1 2 3 4 5; do
		p=$((600 + RANDOM % 400))
		"$JITGATE_BIN" serve --listen "127.0.0.1:$p" --db "$JG_TMP/low.db" \
			--policy "$JG_TMP/policy.yaml" $JG_AS_USER >"$JG_TMP/low.log" 2>&1 &
		LOWPID=$!
		for i in $(seq 1 100); do
			grep -q "listening on" "$JG_TMP/low.log" && break
			kill -0 "$LOWPID" 2>/dev/null || break
			sleep 0.1
		done
		grep -q "listening on" "$JG_TMP/low.log" &&
			curl -fsS -o /dev/null "http://127.0.0.1:$p/healthz" && LOWPORT=$p
		kill "$LOWPID" 2>/dev/null
		wait "$LOWPID" 2>/dev/null
		[ -n "$LOWPORT" ] && break
		echo "# port $p: $(tail -n 1 "$JG_TMP/low.log")"
	done
	expect_ne "a port below 1024 is served by the dropped server" "" "$LOWPORT"
fi

# --- a connector asking for a user of its own ------------------------------

printf 'version: 1\nresources:\n  box:\n    type: command\n    program: /bin/true\n    user: root\n' >"$JG_TMP/u.yaml"
try_serve --listen 127.0.0.1:0 --db "$JG_TMP/u.db" \
	--policy "$JG_TMP/policy.yaml" --connectors "$JG_TMP/u.yaml" $JG_AS_USER
expect_rc "a per-connector user: refused" 1
expect_match "saying connectors run as the server's user" \
	"u.yaml:6: .*'user' is not supported: every connector runs as the server's user" "$ERR"

# --- unsafe directories, at start -------------------------------------------

mkdir -m 770 "$JG_TMP/pol"
cp "$JG_TMP/policy.yaml" "$JG_TMP/pol/policy.yaml"
try_serve --listen 127.0.0.1:0 --db "$JG_TMP/s.db" \
	--policy "$JG_TMP/pol/policy.yaml" $JG_AS_USER
expect_rc "a policy in a group-writable directory: refused" 2
expect_eq "naming the directory, its mode and the fix" \
	"jitgate: policy file $JG_TMP/pol/policy.yaml: directory $JG_TMP/pol is writable by its group (mode 0770): chmod go-w $JG_TMP/pol" "$ERR"
chmod 755 "$JG_TMP/pol"
chmod 666 "$JG_TMP/pol/policy.yaml"
try_serve --listen 127.0.0.1:0 --db "$JG_TMP/s.db" \
	--policy "$JG_TMP/pol/policy.yaml" $JG_AS_USER
expect_rc "a world-writable policy file: refused" 2
expect_match "naming the file" "file $JG_TMP/pol/policy.yaml is writable by its group and others \(mode 0666\)" "$ERR"
mkdir -m 777 "$JG_TMP/con"
cp "$JG_TMP/connectors.yaml" "$JG_TMP/con/c.yaml"
try_serve --listen 127.0.0.1:0 --db "$JG_TMP/s.db" \
	--policy "$JG_TMP/policy.yaml" --connectors "$JG_TMP/con/c.yaml" $JG_AS_USER
expect_rc "a connectors file in a world-writable directory: refused" 2
expect_match "naming it" "^jitgate: connectors file $JG_TMP/con/c.yaml: directory $JG_TMP/con is writable by its group and others \(mode 0777\)" "$ERR"
expect_eq "nothing was made" missing "$(mode_of "$JG_TMP/s.db")"

# --- the server, as --user --------------------------------------------------

JG_SERVE_ARGS="--connectors $JG_TMP/connectors.yaml"
jg_start
if [ "$AS_ROOT" = 1 ]; then
	WANT_UID=$(id -u "$JG_SERVE_USER")
	WANT_GID=$(id -g "$JG_SERVE_USER")
	expect_eq "the kernel sees the server as the user (real, effective, saved, fs uid)" \
		"$WANT_UID $WANT_UID $WANT_UID $WANT_UID" \
		"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$JG_PID/status")"
	expect_eq "and as its group" "$WANT_GID $WANT_GID $WANT_GID $WANT_GID" \
		"$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$JG_PID/status")"
	expect_no_match "no supplementary group of root's" '(^| )0( |$)' \
		"$(awk '/^Groups:/ {$1=""; print}' "/proc/$JG_PID/status")"
	expect_eq "and without capabilities" 0000000000000000 \
		"$(awk '/^CapEff:/ {print $2}' "/proc/$JG_PID/status")"
else
	WANT_UID=$(id -u)
	WANT_GID=$(id -g)
fi
jg_token alice
jg_run alice exec box run --reason "INC-1 who am i"
expect_rc "a connector runs" 0
expect_eq "as the server's user" "uid=$WANT_UID gid=$WANT_GID" "$OUT"

# --- file modes ---------------------------------------------------------------

if [ "$JG_BACKEND" = sqlite ]; then
	for f in j.db j.db-wal j.db-shm; do
		expect_eq "$f is 0600" 600 "$(mode_of "$JG_TMP/$f")"
	done
fi
expect_eq "the keys directory is 0700" 700 "$(mode_of "$JG_TMP/keys")"
for f in "$JG_TMP"/keys/*.pem; do
	expect_eq "key $(basename "$f") is 0600" 600 "$(mode_of "$f")"
done
expect_eq "the token file is 0600" 600 "$(mode_of "$JG_TMP/admin.token")"

# --- the bootstrap token stays out of the logs ---------------------------------

TOKEN=$(cat "$JG_TMP/admin.token")
expect_match "the token file holds a token" '^jg_' "$TOKEN"
expect_eq "the token is not in the server's output" 0 \
	"$(grep -cF -- "$TOKEN" "$JG_TMP/server.log")"
expect_match "which says where it is" \
	"^jitgate: the admin token is in $JG_TMP/admin.token" "$(cat "$JG_TMP/server.log")"

# --- unsafe directories, at reload -------------------------------------------

chmod g+w "$JG_TMP"
TMP_MODE=$(printf '%04o' "0$(mode_of "$JG_TMP")")
: >"$JG_TMP/server.log.mark"
kill -HUP "$JG_PID"
for i in $(seq 1 100); do
	grep -q "policy not reloaded" "$JG_TMP/server.log" && break
	sleep 0.1
done
expect_match "SIGHUP with a group-writable directory above the policy: refused" \
	"jitgate: policy not reloaded: policy file $JG_TMP/policy.yaml: directory $JG_TMP is writable by its group \(mode $TMP_MODE\)" \
	"$(cat "$JG_TMP/server.log")"
jg_http POST /v1/policy/reload admin '{}'
expect_problem "the API reload: refused" 400 invalid-request
expect_match "naming the directory" "directory $JG_TMP is writable by its group" "$BODY"
chmod g-w "$JG_TMP"
jg_http POST /v1/policy/reload admin '{}'
expect_eq "once fixed, the reload works" 200 "$CODE"

# --- Bob beside bob -----------------------------------------------------------

jg_token bob --group ops
jg_run admin token create Bob
expect_rc "Bob beside the token holder bob: refused" 2
expect_match "naming bob" "'Bob' differs from the existing principal 'bob' only by case" "$ERR"
jg_http POST /v1/tokens admin '{"principal":"CAROL"}'
expect_problem "CAROL beside the policy's member carol: refused" 409 conflict
expect_match "naming carol" "existing principal 'carol'" "$BODY"
jg_run admin token create bob --group ops -q
expect_rc "a second token for bob himself is fine" 0

# --- token lifetimes, last use, stale tokens ---------------------------------

jg_token keep --ttl 1h
jg_run keep whoami
expect_rc "a token within its lifetime works" 0
jg_token brief --ttl 2s
jg_token idle
jg_run admin --json token list
LIST=$OUT
tok_field() { # NAME FIELD: FIELD of NAME's token in $LIST
	printf '%s' "$LIST" | tr '{' '\n' | grep "\"principal\":\"$1\"" |
		grep -o "\"$2\":[^,}]*" | head -n 1 | sed "s/^\"$2\"://"
}
expect_match "its end is shown" '^"20[0-9-]+T[0-9:]+Z"$' "$(tok_field keep expires_at)"
expect_eq "a token without ttl never ends" null "$(tok_field idle expires_at)"
expect_match "a used token shows its last use" '^"20[0-9-]+T[0-9:]+Z"$' "$(tok_field keep last_used_at)"
expect_eq "an unused one shows none" null "$(tok_field idle last_used_at)"
jg_run admin token list
expect_match "the table has the columns" 'EXPIRES +LAST USED' "$OUT"
IDLE_ID=$(printf '%s' "$LIST" | tr '{' '\n' | grep '"principal":"idle"' | grep -o 'tok_[a-z0-9]*' | head -n 1)
jg_run admin --json token list --stale 1h
expect_eq "nothing is stale for an hour" 0 "$(count_ids tok_ "$OUT")"
sleep 3
jg_http GET /v1/whoami brief
expect_problem "an expired token is refused like a revoked one" 401 unauthenticated
jg_run brief whoami
expect_rc "and the CLI says so" 2
jg_run admin --json token list --stale 2s
expect_match "the never-used token is stale after the window" "$IDLE_ID" "$OUT"
jg_run admin token revoke "$IDLE_ID"
jg_http GET '/v1/tokens?stale=2s' admin
expect_no_match "a revoked token is no longer listed as stale" "$IDLE_ID" "$BODY"
jg_http GET '/v1/tokens?stale=soon' admin
expect_problem "a bad stale window: 400" 400 invalid-request
jg_http POST /v1/tokens admin '{"principal":"x1","ttl":"2s","expires_at":"2030-01-01T00:00:00Z"}'
expect_problem "ttl and expires_at together: 400" 400 invalid-request
jg_http POST /v1/tokens admin '{"principal":"x1","expires_at":"2000-01-01T00:00:00Z"}'
expect_problem "an end in the past: 400" 400 invalid-request
jg_http POST /v1/tokens admin '{"principal":"x1","expires_at":"2030-01-01T00:00:00Z"}'
expect_eq "an RFC 3339 end: 201" 201 "$CODE"
expect_match "kept" '"expires_at":"2030-01-01T00:00:00Z"' "$BODY"

# --- the token file: exclusive, never through a link ------------------------

jg_stop
rm -f "$JG_TMP/j.db" "$JG_TMP/j.db-wal" "$JG_TMP/j.db-shm"
jg_db_reset() {
	if [ "$JG_BACKEND" = postgres ]; then
		jg_sql "DELETE FROM tokens" >/dev/null 2>&1
	fi
}
jg_db_reset
# $JG_TMP/admin.token is still there from the first start
try_serve --listen 127.0.0.1:0 --db "$JG_DB_URL" \
	--policy "$JG_TMP/policy.yaml" --bootstrap-token-file "$JG_TMP/admin.token" $JG_AS_USER
expect_rc "first start with a token file already there: refused" 1
expect_match "saying so" "cannot create the admin token file $JG_TMP/admin.token: File exists \(it must not exist yet\)" "$ERR"
expect_eq "the old file is untouched" "$TOKEN" "$(cat "$JG_TMP/admin.token")"
rm -f "$JG_TMP/admin.token"
ln -s "$JG_TMP/elsewhere" "$JG_TMP/admin.token"
try_serve --listen 127.0.0.1:0 --db "$JG_DB_URL" \
	--policy "$JG_TMP/policy.yaml" --bootstrap-token-file "$JG_TMP/admin.token" $JG_AS_USER
expect_rc "a token file that is a symbolic link: refused" 1
expect_match "saying so" "it is a symbolic link" "$ERR"
expect_eq "nothing written where it leads" missing "$(mode_of "$JG_TMP/elsewhere")"
rm -f "$JG_TMP/admin.token"
JG_SERVE_ARGS=
jg_start
expect_match "nothing was minted by the refused starts: the next one mints" '^jg_' \
	"$(cat "$JG_TMP/admin.token")"

jg_finish
