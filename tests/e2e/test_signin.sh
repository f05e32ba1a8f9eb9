#!/usr/bin/env bash
# test_signin.sh - people sign in to the dashboard through a real OpenID
# Provider (tests/oidc/provider.mjs, npm oidc-provider) with the real
# daemon: the authorization code flow with PKCE, state and nonce, driven by
# a browser stand-in (signin_client.py) that fills the provider's login
# form. Good sign-ins (groups and roles mapped, the session works, the
# audit names provider and subject), then each bad input (replayed state,
# a state from another browser, missing and wrong nonce, an ID token for
# another client, a groups claim that is not a list, an email domain not
# allowed, the provider unreachable): a clear page, a signin.refused
# event (a log line before any state of ours), and no session made.
# Groups from the userinfo endpoint when the ID token has none; an admin
# ends a person's sessions; token sign-in turned off; step-up on an
# approval (MFA); a reload whose secret file cannot be read is refused.
# backends: sqlite postgres
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../oidc/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)

jg_oidc_install
jg_oidc_start

printf '%s\n' "$JG_OIDC_SECRET" >"$JG_TMP/oidc.secret"
[ -n "$JG_AS_OWNER" ] && chown "$JG_SERVE_USER" "$JG_TMP/oidc.secret"

# The policy; CALLBACK is jitgate's own URL, known once it listens.
write_policy() { # CALLBACK_BASE [TOKEN_SIGNIN [USERINFO]]
	jg_policy <<EOF
version: 1
groups:
  dba: {members: []}
  security: {members: []}
resources:
  db: {actions: [write, read]}
rules:
  - name: db-write
    match: {resource: db, action: write}
    steps: [{group: security, count: 1}]
    step_up: {within: 10m, mfa: true}
  - name: db-read
    match: {resource: db, action: read}
    steps: [{group: security, count: 1}]
identity:
  signin:
    issuer: $JG_OIDC_URL
    client_id: $JG_OIDC_CLIENT
    client_secret_file: $JG_TMP/oidc.secret
    redirect_url: $1/v1/auth/oidc/callback
    scopes: [openid, email, profile, groups]
    email_domains: [example.com]
    group_map: {jitgate-admins: security}
    role_map: {jitgate-admins: admin, auditors: auditor}
    token_signin: ${2:-true}
    userinfo: ${3:-false}
EOF
}

write_policy http://127.0.0.1:1
jg_start
write_policy "$JITGATE_URL"
jg_run admin policy reload
[ "$RC" -eq 0 ] || jg_bail "policy with identity.signin reloaded" "exit 0" "$RC $OUT $ERR"

# signin USER [ARGS...]: one sign-in through the provider; sets S_STATUS,
# S_LOCATION, S_COOKIE, S_WHY (and S_REPLAY_STATUS, S_REPLAY_WHY).
signin() {
	local out
	out=$(python3 "$HERE/signin_client.py" "$JITGATE_URL" "$@" --op "$JG_OIDC_URL" 2>&1)
	S_STATUS=$(printf '%s\n' "$out" | sed -n 's/^status=//p')
	S_LOCATION=$(printf '%s\n' "$out" | sed -n 's/^location=//p')
	S_COOKIE=$(printf '%s\n' "$out" | sed -n 's/^cookie=//p')
	S_WHY=$(printf '%s\n' "$out" | sed -n 's/^why=//p')
	S_REPLAY_STATUS=$(printf '%s\n' "$out" | sed -n 's/^replay_status=//p')
	S_REPLAY_WHY=$(printf '%s\n' "$out" | sed -n 's/^replay_why=//p')
	S_OUT=$out
}

# As the session of cookie COOKIE: sets CODE, BODY.
as_cookie() { # COOKIE METHOD PATH
	CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -X "$2" \
		-H "Cookie: jg_session=$1" "$JITGATE_URL$3")
	BODY=$(cat "$JG_TMP/body")
}

# The sessions table's row count and the signin.refused events so far.
sessions() { jg_sql "SELECT count(*) FROM sessions"; }
refusals() {
	jg_http GET "/v1/audit?type=signin.refused&limit=500" admin
	printf '%s' "$BODY" | grep -o '"type":"signin.refused"' | wc -l | tr -d ' '
}

# --- configuration is public --------------------------------------------
jg_http GET /v1/auth/config -
if [ "$CODE" = 200 ] && [ "$(json_str issuer "$BODY")" = "$JG_OIDC_URL" ] &&
	printf '%s' "$BODY" | grep -q '"provider":true' &&
	printf '%s' "$BODY" | grep -q '"token":true'; then
	ok "GET /v1/auth/config (public): provider and token sign-in on"
else
	not_ok "auth config" "200 provider+token" "$CODE $BODY"
fi

# --- a good sign-in ------------------------------------------------------
signin alice --next "/#/mine"
if [ "$S_STATUS" = 302 ] && [ "$S_LOCATION" = "$JITGATE_URL/#/mine" ] &&
	[ "${S_COOKIE#jg_}" != "$S_COOKIE" ]; then
	ok "alice signs in through the provider: 302 to next with a session cookie"
else
	not_ok "alice signs in" "302 to /#/mine, jg_session" "$S_OUT"
fi
ALICE=$S_COOKIE
as_cookie "$ALICE" GET /v1/session
if [ "$CODE" = 200 ] && [ "$(json_str principal "$BODY")" = alice@example.com ] &&
	printf '%s' "$BODY" | grep -q '"groups":\["dba"\]'; then
	ok "the session is alice@example.com in [dba] (from the ID token)"
else
	not_ok "session of alice" "alice@example.com [dba]" "$CODE $BODY"
fi
jg_http GET "/v1/audit?type=session.opened&limit=500" admin
if printf '%s' "$BODY" | grep -q "\"provider\":\"$JG_OIDC_URL\"" &&
	printf '%s' "$BODY" | grep -q '"subject":"alice"' &&
	printf '%s' "$BODY" | grep -q '"via":"oidc"'; then
	ok "session.opened records the provider, the subject and via oidc"
else
	not_ok "session.opened details" "provider, subject alice, via oidc" "$BODY"
fi
jg_http GET /v1/auth/oidc/login?next=//evil.example -
if [ "$CODE" = 400 ] && printf '%s' "$BODY" | grep -q "must be a path on this server"; then
	ok "a next that leaves this server is refused (400 page)"
else
	not_ok "next=//evil" "400" "$CODE $BODY"
fi

# groups and roles mapped: frank is in jitgate-admins (-> security, admin)
signin frank
as_cookie "$S_COOKIE" GET /v1/session
if [ "$CODE" = 200 ] && printf '%s' "$BODY" | grep -q '"groups":\["security"\]' &&
	printf '%s' "$BODY" | grep -q '"admin"' && printf '%s' "$BODY" | grep -q '"auditor"'; then
	ok "group_map and role_map: frank is in security, admin and auditor"
else
	not_ok "frank's groups and roles" "security, admin, auditor" "$CODE $BODY"
fi

# an ID token without groups: none, or (userinfo: true) the userinfo
# endpoint's, asked with the access token
signin bob --tamper '{"unset":["groups"]}' --op "$JG_OIDC_URL"
as_cookie "$S_COOKIE" GET /v1/session
printf '%s' "$BODY" | grep -q '"groups":\[\]' &&
	ok "an ID token without groups: bob signs in with none" ||
	not_ok "no groups claim" "groups []" "$CODE $BODY"
write_policy "$JITGATE_URL" true true
jg_run admin policy reload
signin bob --tamper '{"unset":["groups"]}' --op "$JG_OIDC_URL"
as_cookie "$S_COOKIE" GET /v1/session
printf '%s' "$BODY" | grep -q '"groups":\["security"\]' &&
	ok "userinfo: true - bob's groups come from the userinfo endpoint" ||
	not_ok "groups from userinfo" "groups [security]" "$CODE $BODY"
write_policy "$JITGATE_URL"
jg_run admin policy reload
signin frank

# an admin ends every session of a person; others may not
FRANK=$S_COOKIE
signin alice
ALICE2=$S_COOKIE
jg_token plain --group dba
jg_http POST /v1/sessions/end plain '{"principal":"alice@example.com"}'
expect_problem "a non-admin cannot end another person's sessions" 403 forbidden
jg_http POST /v1/sessions/end admin '{"principal":"alice@example.com"}'
if [ "$CODE" = 200 ] && [ "$(json_num ended "$BODY")" = 2 ]; then
	ok "an admin ends both of alice's sessions"
else
	not_ok "end alice's sessions" "200 ended 2" "$CODE $BODY"
fi
as_cookie "$ALICE2" GET /v1/session
[ "$CODE" = 401 ] && ok "alice's ended session is refused (401)" ||
	not_ok "ended session" 401 "$CODE $BODY"
as_cookie "$FRANK" GET /v1/session
[ "$CODE" = 200 ] && ok "frank's session is untouched" ||
	not_ok "frank's session" 200 "$CODE $BODY"
signin alice
ALICE=$S_COOKIE

# --- bad input: a clear page, signin.refused, no session ----------------
# refused DESC STATUS WHY_PART [log]: the last sign-in got a STATUS page
# saying WHY_PART, made no session, and was audited as signin.refused (or,
# with "log", refused before any state of ours: a server log line and no
# audit event, so anonymous callers cannot fill the trail).
refused() {
	local after_s after_r seen=audited
	after_s=$(sessions)
	after_r=$(refusals)
	if [ "${4:-}" = log ]; then
		seen=logged
		grep -q "sign-in refused (from 127.0.0.1): .*$3" "$JG_TMP/server.log" &&
			[ "$after_r" = "$before_r" ] || seen=no
	else
		[ "$after_r" -gt "$before_r" ] || seen=no
	fi
	if [ "$S_STATUS" = "$2" ] && [ -z "$S_COOKIE" ] &&
		printf '%s' "$S_WHY" | grep -q -- "$3" &&
		[ "$after_s" = "$before_s" ] && [ "$seen" != no ]; then
		ok "$1: $2 page '$S_WHY', $seen, no session"
	else
		not_ok "$1" "$2, why ~ '$3', sessions $before_s, ${4:-audited}" \
			"status $S_STATUS why '$S_WHY' cookie '$S_COOKIE' sessions $after_s refusals $before_r -> $after_r"
	fi
}
before() { before_s=$(sessions); before_r=$(refusals); }

before
signin bob --replay
if [ "$S_STATUS" = 302 ] && [ "$S_REPLAY_STATUS" = 401 ] &&
	printf '%s' "$S_REPLAY_WHY" | grep -q "unknown or was already used"; then
	ok "a replayed state is refused: '$S_REPLAY_WHY'"
else
	not_ok "replayed state" "302 then 401" "$S_OUT"
fi

before
signin bob --other-browser
refused "a state finished in another browser (no jg_signin cookie)" 401 "another browser" log
before
signin bob --no-state
refused "an answer without state" 401 "no usable state" log
before
signin bob --tamper '{"unset":["nonce"]}'
refused "an ID token without nonce" 401 "nonce"
before
signin bob --tamper '{"set":{"nonce":"not-the-one-we-sent"}}'
refused "an ID token with another nonce" 401 "nonce"
before
signin bob --tamper '{"set":{"aud":"another-client","azp":"another-client"}}'
refused "an ID token for another client (aud)" 401 "aud"
before
signin dave
refused "a groups claim that is not a list" 401 "groups claim 'groups' is not a list"
before
signin erin
refused "an email domain not allowed" 401 "email domain 'elsewhere.test' may not sign in"

# --- token sign-in stays, or is turned off -------------------------------
jg_http POST /v1/session - "{\"token\":\"$(cat "$JG_TMP/tok.admin")\"}"
[ "$CODE" = 201 ] && ok "token sign-in still works (token_signin: true)" ||
	not_ok "token sign-in" 201 "$CODE $BODY"
write_policy "$JITGATE_URL" false
jg_run admin policy reload
jg_http POST /v1/session - "{\"token\":\"$(cat "$JG_TMP/tok.admin")\"}"
expect_problem "token_signin: false refuses the dashboard's token sign-in" 403 forbidden
jg_http GET /v1/whoami admin
[ "$CODE" = 200 ] && ok "the token still works as a bearer on the API" ||
	not_ok "bearer with token_signin false" 200 "$CODE $BODY"
jg_http GET /v1/auth/config -
printf '%s' "$BODY" | grep -q '"token":false' && ok "/v1/auth/config says token sign-in is off" ||
	not_ok "config token false" '"token":false' "$BODY"
write_policy "$JITGATE_URL"
jg_run admin policy reload

# --- step-up on an approval ---------------------------------------------
jg_token alice2 --group dba
jg_run alice2 request db write --reason INC-1 --json
REQ=$(json_str id "$OUT")
signin carol
CAROL=$S_COOKIE
as_cookie "$CAROL" GET /v1/session
CSRF=$(json_str csrf_token "$BODY")
approve() { # COOKIE CSRF
	CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -X POST \
		-H "Cookie: jg_session=$1" -H "X-CSRF-Token: $2" \
		-H 'Content-Type: application/json' --data '{}' \
		"$JITGATE_URL/v1/requests/$REQ/approve")
	BODY=$(cat "$JG_TMP/body")
}
approve "$CAROL" "$CSRF"
expect_problem "carol signed in without MFA cannot approve a step-up rule" 403 step-up-required
printf '%s' "$BODY" | grep -q "without a second factor" &&
	ok "the refusal says what is missing (a second factor)" ||
	not_ok "step-up reason" "without a second factor" "$BODY"
jg_token sectok --group security
jg_http POST "/v1/requests/$REQ/approve" sectok '{}'
expect_problem "a jitgate token (in the step's group) never meets a step-up" 403 step-up-required
signin carol --step-up --mfa 123456 --next "/#/request/$REQ"
CAROL=$S_COOKIE
as_cookie "$CAROL" GET /v1/session
approve "$CAROL" "$(json_str csrf_token "$BODY")"
if [ "$CODE" = 200 ] && [ "$(json_str state "$BODY")" = approved ]; then
	ok "signed in again with MFA, carol approves"
else
	not_ok "step-up approval" "200 approved" "$CODE $BODY"
fi

# --- the provider unreachable -------------------------------------------
# The browser reached the provider, which then goes away: the code
# exchange meets no one.
before
signin bob --before-callback "kill $JG_OIDC_PID; for i in \$(seq 100); do kill -0 $JG_OIDC_PID 2>/dev/null || break; sleep 0.1; done"
refused "the provider unreachable at the code exchange" 502 "cannot"
wait "$JG_OIDC_PID" 2>/dev/null
JG_OIDC_PID=
as_cookie "$ALICE" GET /v1/session
[ "$CODE" = 200 ] && ok "provider down: alice's session keeps working" ||
	not_ok "existing session while provider down" 200 "$CODE $BODY"

# --- the secret file: read at each reload --------------------------------
chmod 000 "$JG_TMP/oidc.secret"
if [ "$(id -u)" != 0 ] || [ -n "$JG_AS_OWNER" ]; then
	jg_run admin policy reload
	if [ "$RC" -ne 0 ] && printf '%s' "$ERR$OUT" | grep -q "client secret file"; then
		ok "a reload whose client secret file cannot be read is refused"
	else
		not_ok "unreadable secret" "reload refused" "$RC $OUT $ERR"
	fi
fi
# ... and at start: a server whose secret file cannot be read does not start
sed "s|$JG_TMP/oidc.secret|$JG_TMP/no-such.secret|" "$JG_TMP/policy.yaml" >"$JG_TMP/nosecret.yaml"
[ -n "$JG_AS_OWNER" ] && chown "$JG_SERVE_USER" "$JG_TMP/nosecret.yaml"
"$JITGATE_BIN" serve --listen 127.0.0.1:0 --db "sqlite:$JG_TMP/nosecret.db" \
	--policy "$JG_TMP/nosecret.yaml" $JG_AS_USER >"$JG_TMP/nosecret.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "cannot read the sign-in client secret file" "$JG_TMP/nosecret.log"; then
	ok "a server whose client secret file cannot be read does not start (exit $rc)"
else
	not_ok "start without the secret file" "refused, saying why" "exit $rc: $(cat "$JG_TMP/nosecret.log")"
fi
jg_http GET "/v1/audit/export" admin
if grep -q "$JG_OIDC_SECRET" "$JG_TMP/server.log" ||
	printf '%s' "$BODY" | grep -q "$JG_OIDC_SECRET"; then
	not_ok "the client secret is never logged nor audited" "absent" "found"
elif ! printf '%s' "$BODY" | grep -q '"signin.refused"'; then
	not_ok "the audit export read" "signin.refused events" "$CODE"
else
	ok "the client secret is in no log line and no audit event"
fi

jg_finish
