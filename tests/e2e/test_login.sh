#!/usr/bin/env bash
# test_login.sh - `jitgate login` / `jitgate logout` end to end: the real
# server, the real CLI and a real OpenID Provider (tests/oidc, npm
# oidc-provider) on loopback. The CLI starts the device flow through the
# server; the test approves it at the provider as a person would (its
# pages, driven with curl: enter the code, confirm, sign in); the CLI
# stores the session 0600 and never prints it; later commands act as that
# person with the provider's groups and no token; logout ends it on the
# server. Also: an expired, tampered, malformed or readable-by-others
# session file, a sign-in denied at the provider, the provider or the
# server unreachable, and the per-address limit on starting sign-ins.
# backends: sqlite postgres
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../oidc/lib.sh"

jg_oidc_install || jg_bail "test OpenID Provider installed"
jg_oidc_start || jg_bail "test OpenID Provider starts"

printf '%s\n' "$JG_OIDC_SECRET" >"$JG_TMP/oidc.secret"
chmod 600 "$JG_TMP/oidc.secret"
[ -n "$JG_AS_OWNER" ] && chown "$JG_SERVE_USER" "$JG_TMP/oidc.secret"

jg_policy <<EOF
version: 1
identity:
  signin:
    issuer: $JG_OIDC_URL
    client_id: $JG_OIDC_CLIENT
    client_secret_file: $JG_TMP/oidc.secret
    redirect_url: http://127.0.0.1:1/v1/auth/oidc/callback
    scopes: [openid, email, profile]
    session_ttl: 2h
groups:
  dba: {members: []}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.read]}
rules:
  - name: dba-reads
    match: {resource: prod-db, requester: {groups: [dba]}}
    decision: auto
    max_duration: 1h
EOF
jg_start

# The person's config directory: not there yet (login makes it).
export XDG_CONFIG_HOME=$JG_TMP/home/cfg
SESSION=$XDG_CONFIG_HOME/jitgate/session
mkdir -p "$JG_TMP/home"

# --- the provider's pages, as a person's browser -----------------------

JAR=$JG_TMP/oidc.jar

# Enter USER_CODE at the provider and confirm it (or abort: deny).
# Leaves the page reached in $JG_TMP/page.html.
oidc_enter_code() { # USER_CODE confirm|abort
	local xsrf
	rm -f "$JAR"
	xsrf=$(curl -sS -c "$JAR" -b "$JAR" "$JG_OIDC_URL/device" |
		sed -n 's/.*name="xsrf" value="\([^"]*\)".*/\1/p')
	curl -sS -c "$JAR" -b "$JAR" -L -o "$JG_TMP/page.html" \
		--data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$1" \
		-d "$2=yes" "$JG_OIDC_URL/device"
}

# Sign in at the login page the provider showed, as USER.
oidc_sign_in() { # USER
	local action
	action=$(sed -n 's/.*action="\(\/interaction\/[^"]*\/login\)".*/\1/p' "$JG_TMP/page.html")
	curl -sS -c "$JAR" -b "$JAR" -L -o "$JG_TMP/page.html" \
		-d "username=$1" -d "password=$1-pw" "$JG_OIDC_URL$action"
}

# Start `jitgate login` (no token, no JITGATE_URL) in the background and
# wait for the code it shows; sets LOGIN_PID and CODE.
login_bg() { # ARGS...
	: >"$JG_TMP/login.out"
	env -u JITGATE_URL "$JITGATE_BIN" login "$@" \
		>"$JG_TMP/login.out" 2>"$JG_TMP/login.err" &
	LOGIN_PID=$!
	JG_BG_PIDS="$JG_BG_PIDS $LOGIN_PID"
	CODE=
	for _ in $(seq 1 100); do
		CODE=$(sed -n 's/^and enter the code: //p' "$JG_TMP/login.out")
		[ -n "$CODE" ] && return 0
		kill -0 "$LOGIN_PID" 2>/dev/null || break
		sleep 0.1
	done
	jg_bail "jitgate login shows a code" "a user code" \
		"$(cat "$JG_TMP/login.out" "$JG_TMP/login.err")"
}

login_wait() {
	wait "$LOGIN_PID"
	RC=$?
	OUT=$(cat "$JG_TMP/login.out")
	ERR=$(cat "$JG_TMP/login.err")
	JG_LAST="jitgate login"
	cp "$JG_TMP/login.out" "$JG_TMP/out"
	cp "$JG_TMP/login.err" "$JG_TMP/err"
}

# The CLI with no token at all (the stored session, if any).
me() { # ARGS...
	env -u JITGATE_URL -u JITGATE_TOKEN "$JITGATE_BIN" "$@" \
		>"$JG_TMP/out" 2>"$JG_TMP/err"
	RC=$?
	OUT=$(cat "$JG_TMP/out")
	ERR=$(cat "$JG_TMP/err")
	JG_LAST="jitgate $* (stored session)"
}

# --- sign in -----------------------------------------------------------

login_bg --server "$JITGATE_URL"
expect_match "login shows the provider's page" "open $JG_OIDC_URL/device in a browser" "$(cat "$JG_TMP/login.out")"
expect_match "login shows the complete URL too" "or open $JG_OIDC_URL/device\\?user_code=" "$(cat "$JG_TMP/login.out")"
oidc_enter_code "$CODE" confirm
expect_match "the provider asks the person to sign in" 'id="username"' "$(cat "$JG_TMP/page.html")"
oidc_sign_in alice
expect_match "the provider says the device sign-in worked" "Sign-in Success" "$(cat "$JG_TMP/page.html")"
login_wait
expect_eq "login exits 0 once approved" 0 "$RC"
expect_match "login says who is signed in, with the provider's groups" \
	"signed in as alice@example.com \\(groups: dba\\) through the identity provider" "$OUT"
expect_no_match "login never prints the session secret" "jgs_" "$OUT$ERR"
expect_eq "the session file is 0600" 600 "$(stat -c %a "$SESSION" 2>&1)"
expect_eq "its directory is 0700" 700 "$(stat -c %a "$(dirname "$SESSION")" 2>&1)"
expect_match "the file holds the server, the jgs_ secret and its expiry" \
	"\"server\": \"$JITGATE_URL\".*\"session_token\": \"jgs_[A-Za-z0-9_-]+\".*\"expires_at\"" \
	"$(tr -d '\n' <"$SESSION")"
SECRET=$(sed -n 's/.*"session_token": "\(jgs_[^"]*\)".*/\1/p' "$SESSION")
cp "$SESSION" "$JG_TMP/session.good"

# --- later commands use it -----------------------------------------------

me whoami
expect_eq "whoami with the stored session exits 0" 0 "$RC"
expect_match "whoami is the person" "principal: +alice@example.com" "$OUT"
expect_match "whoami says it came from the identity provider" "via: +identity provider \\(jitgate login\\)" "$OUT"
expect_match "whoami shows the provider's groups" "groups: +dba" "$OUT"
me request prod-db sql.read --reason "INC-42 look at the table" -q
expect_eq "request with no token, as that person, is approved by the dba rule" 0 "$RC"
REQ=$OUT
jg_run admin show "$REQ" --json
expect_match "the request's requester is the person from the provider" '"requester": *"alice@example.com"' "$OUT"
expect_match "and the provider's group decided it" '"state": *"approved"' "$OUT"
printf 'Authorization: Bearer %s\n' "$SECRET" >"$JG_TMP/hdr.alice"
jg_http GET /v1/whoami alice
expect_eq "the session secret is a bearer for the API" 200 "$CODE"
JITGATE_TOKEN=$(cat "$JG_TMP/tok.admin") "$JITGATE_BIN" whoami >"$JG_TMP/out" 2>&1
expect_match "--token / JITGATE_TOKEN win over the stored session" "principal: +admin" "$(cat "$JG_TMP/out")"
# the same server under another name is another server to the CLI
env -u JITGATE_TOKEN JITGATE_URL="${JITGATE_URL/127.0.0.1/localhost}" "$JITGATE_BIN" whoami >"$JG_TMP/out" 2>&1
expect_match "the session is never sent to a server it is not for" "a valid bearer token is required \\(run jitgate login" "$(cat "$JG_TMP/out")"

# --- a bad session file is refused with a clear message -------------------

sed -i 's/"expires_at": "[^"]*"/"expires_at": "2020-01-01T00:00:00Z"/' "$SESSION"
me whoami
expect_eq "an expired stored session: exit 2" 2 "$RC"
expect_match "it says to run jitgate login" "session from jitgate login expired at 2020-01-01T00:00:00Z: run jitgate login" "$ERR"
cp "$JG_TMP/session.good" "$SESSION"
# one character of the secret changed: well-formed, but not the server's
SWAP=A
[ "${SECRET:4:1}" = A ] && SWAP=B
sed -i "s/\"session_token\": \"jgs_./\"session_token\": \"jgs_$SWAP/" "$SESSION"
me whoami
expect_eq "a tampered session secret: exit 2" 2 "$RC"
expect_match "the server's refusal says to run jitgate login" "session from jitgate login is no longer valid: run jitgate login" "$ERR"
printf '{"server": "%s"' "$JITGATE_URL" >"$SESSION"
me whoami
expect_match "a malformed session file is named, with what to do" "session file $SESSION is malformed: .*run jitgate login" "$ERR"
cp "$JG_TMP/session.good" "$SESSION"
chmod 644 "$SESSION"
me whoami
expect_eq "a session file others can read is refused" 2 "$RC"
expect_match "it says so, with the mode" "session file $SESSION can be read by others \\(mode 0644\\)" "$ERR"
expect_no_match "no command prints the secret" "jgs_" "$ERR"
chmod 600 "$SESSION"

# --- logout -----------------------------------------------------------

jg_http DELETE /v1/session admin
expect_problem "DELETE /v1/session with a jitgate token ends nothing" 409 conflict
me logout
expect_eq "logout exits 0" 0 "$RC"
expect_match "logout says so" "signed out; deleted $SESSION" "$OUT"
expect_eq "the session file is gone" no "$([ -e "$SESSION" ] && echo yes || echo no)"
jg_http GET /v1/whoami alice
expect_problem "the old secret is refused after logout" 401 unauthenticated
me --url "$JITGATE_URL" whoami
expect_match "with no session, the 401 says to run jitgate login" "run jitgate login, or set JITGATE_TOKEN" "$ERR"
me logout
expect_match "logout with no session says there is none" "not signed in" "$OUT"

# DELETE /v1/session also signs the dashboard out (its cookie, with the
# CSRF token as every write made with the cookie)
curl -sS -c "$JG_TMP/dash.jar" -o "$JG_TMP/dash.json" -H 'Content-Type: application/json' \
	--data-binary "{\"token\": \"$(cat "$JG_TMP/tok.admin")\"}" "$JITGATE_URL/v1/session"
CSRF=$(json_str csrf_token "$(tr -d ' \n' <"$JG_TMP/dash.json")")
CODE=$(curl -sS -b "$JG_TMP/dash.jar" -o /dev/null -w '%{http_code}' -X DELETE "$JITGATE_URL/v1/session")
expect_eq "DELETE /v1/session with the cookie and no CSRF token is refused" 403 "$CODE"
CODE=$(curl -sS -b "$JG_TMP/dash.jar" -D "$JG_TMP/dash.hdr" -o /dev/null -w '%{http_code}' \
	-H "X-CSRF-Token: $CSRF" -X DELETE "$JITGATE_URL/v1/session")
expect_eq "with it, the dashboard session ends" 200 "$CODE"
expect_match "and the cookie is cleared" "Set-Cookie: jg_session=;.*Max-Age=0" "$(cat "$JG_TMP/dash.hdr")"
CODE=$(curl -sS -b "$JG_TMP/dash.jar" -o /dev/null -w '%{http_code}' "$JITGATE_URL/v1/session")
expect_eq "the old cookie no longer signs in" 401 "$CODE"

# A session whose server is gone: the file is still deleted, and said.
cp "$JG_TMP/session.good" "$SESSION"
sed -i 's|"server": "[^"]*"|"server": "http://127.0.0.1:1"|' "$SESSION"
me logout
expect_eq "logout with the server unreachable: exit 2" 2 "$RC"
expect_match "it says the session could not be ended there" "could not be ended on http://127.0.0.1:1: it stays valid there until" "$ERR"
expect_eq "and still deletes the file" no "$([ -e "$SESSION" ] && echo yes || echo no)"

# --- denied, unreachable -------------------------------------------------

login_bg --server "$JITGATE_URL"
oidc_enter_code "$CODE" abort
login_wait
expect_eq "a sign-in denied at the provider: exit 2" 2 "$RC"
expect_match "it says it was denied" "the sign-in was denied at the identity provider" "$ERR"
expect_eq "no session is stored" no "$([ -e "$SESSION" ] && echo yes || echo no)"

jg_http POST /v1/auth/device/token - '{"device_code": "not-a-code-the-provider-gave"}'
expect_problem "polling with a device code the provider never gave" 401 unauthenticated
jg_http POST /v1/auth/device/token - '{"device_code": "x", "extra": 1}'
expect_problem "an unknown field is refused" 400 invalid-request

# the API itself: pending is an answer with the interval to keep
jg_http POST /v1/auth/device - '{}'
expect_eq "POST /v1/auth/device needs no token" 200 "$CODE"
expect_match "it answers the provider's codes and a default interval" \
	'"user_code":.*"verification_uri":.*"interval": *5' "$(printf '%s' "$BODY" | tr -d '\n')"
DEVICE=$(json_str device_code "$(printf '%s' "$BODY" | tr -d ' \n')")
jg_http POST /v1/auth/device/token - "{\"device_code\": \"$DEVICE\", \"interval\": 7}"
expect_problem "polling before the person approved" 400 authorization-pending
expect_eq "the problem says how long to wait (the interval sent)" 7 "$(json_num interval "$(printf '%s' "$BODY" | tr -d ' \n')")"
jg_http POST /v1/auth/device/token - "{\"device_code\": \"$DEVICE\", \"interval\": 600}"
expect_problem "an interval past a minute is refused" 400 invalid-request

jg_run - login --help
expect_match "login has help naming --server" "usage: jitgate login \\[--server URL\\]" "$OUT"
jg_run - logout --help
expect_match "logout has help" "end the session of jitgate login" "$OUT"

env -u JITGATE_URL "$JITGATE_BIN" login --server http://127.0.0.1:1 >"$JG_TMP/out" 2>"$JG_TMP/err"
RC=$?
expect_eq "login to a server that is not there: exit 2" 2 "$RC"
expect_match "it says it cannot reach it" "cannot reach http://127.0.0.1:1" "$(cat "$JG_TMP/err")"

jg_oidc_stop
me login --server "$JITGATE_URL"
expect_eq "login with the provider unreachable: exit 2" 2 "$RC"
expect_match "it says the identity provider cannot be reached" "identity provider: http://127.0.0.1:$JG_OIDC_PORT/device/auth cannot be reached" "$ERR"
expect_eq "still no session stored" no "$([ -e "$SESSION" ] && echo yes || echo no)"

# a server without identity.signin says so
sed -i '/^identity:/,/^groups:/{/^groups:/!d}' "$JG_TMP/policy.yaml"
jg_run admin policy reload
expect_eq "the policy without identity.signin is reloaded" 0 "$RC"
me login --server "$JITGATE_URL"
expect_match "login says the server has no sign-in configured" "sign-in with an identity provider is not configured on this server" "$ERR"

# --- each address may start only so many sign-ins a minute ----------------

# 10 a minute: of 22 quick calls, some fall past the limit (even if a
# minute turns during them, one of the two minutes holds 11)
for _ in $(seq 1 22); do
	jg_http POST /v1/auth/device -
	[ "$CODE" = 503 ] && break
done
expect_problem "starting sign-ins again and again from one address is refused" 503 busy
expect_match "saying why" "too many sign-in calls from this address" "$BODY"

jg_finish
