#!/usr/bin/env bash
# test_holes.sh - the smaller holes of issue 12, through the real daemon:
# sign-in refuses a cross-site form (login CSRF), a grant token minted
# with the dashboard cookie needs the CSRF token, HEAD answers like GET
# without a body on every GET route, notification URLs other than
# http(s) are refused at start, and many policy reloads at once (API and
# SIGHUP) leave one consistent chain of policy.reloaded events.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
resources:
  lab: {labels: {env: lab}, actions: [read]}
rules:
  - name: lab
    match: {resource: lab}
    decision: auto
    max_duration: 1h
EOF

# --- notification URLs: refused at start ------------------------------

for flag in --webhook-url --slack-url; do
	for url in file:///etc/passwd gopher://127.0.0.1/x ftp://127.0.0.1/ "http:///nohost"; do
		JG_LAST="jitgate serve $flag $url"
		out=$(timeout 10 "$JITGATE_BIN" serve --listen 127.0.0.1:0 --db "$JG_TMP/never.db" \
			--policy "$JG_TMP/policy.yaml" "$flag" "$url" 2>&1)
		rc=$?
		expect_eq "serve $flag $url: refused at start (exit 2)" 2 "$rc"
		expect_match "serve $flag $url: says why" \
			"^jitgate: $flag '.*' must be an http:// or https:// URL$" "$out"
	done
done
[ -e "$JG_TMP/never.db" ] && not_ok "a refused start opens no database" "no file" "$JG_TMP/never.db"

jg_start
jg_token alice

# --- sign-in: no cross-site form --------------------------------------

# POST /v1/session with extra headers: sets CODE, BODY; cookies in JAR.
session_open() { # CONTENT_TYPE [HEADER...]
	local ct=$1
	shift
	local args=(-sS -o "$JG_TMP/body" -w '%{http_code}' -c "$JG_TMP/jar" -X POST
		-H "Content-Type: $ct" --data-binary "{\"token\":\"$(cat "$JG_TMP/tok.alice")\"}")
	local h
	for h in "$@"; do args+=(-H "$h"); done
	: >"$JG_TMP/jar"
	JG_LAST="curl POST /v1/session ($ct $*)"
	CODE=$(curl "${args[@]}" "$JITGATE_URL/v1/session")
	BODY=$(cat "$JG_TMP/body")
}
no_cookie() { # DESC
	if grep -q jg_session "$JG_TMP/jar"; then
		not_ok "$1: no session cookie set" "no jg_session" "$(grep -c jg_session "$JG_TMP/jar")"
	else
		ok "$1: no session cookie set"
	fi
}
HOSTPORT=${JITGATE_URL#http://}

session_open text/plain
expect_problem "sign-in as a text/plain form" 415 unsupported-media-type
no_cookie "text/plain"
session_open application/x-www-form-urlencoded
expect_problem "sign-in as a urlencoded form" 415 unsupported-media-type
no_cookie "urlencoded"
session_open application/json "Origin: http://evil.example"
expect_problem "sign-in from another Origin" 403 cross-site
no_cookie "another Origin"
session_open application/json "Origin: null"
expect_problem "sign-in from an opaque (null) Origin" 403 cross-site
session_open application/json "Sec-Fetch-Site: cross-site"
expect_problem "sign-in with Sec-Fetch-Site: cross-site" 403 cross-site
no_cookie "Sec-Fetch-Site: cross-site"
session_open application/json "Origin: http://$HOSTPORT" "Sec-Fetch-Site: same-origin"
expect_eq "sign-in from the dashboard's own origin" 201 "$CODE"
session_open application/json "Origin: https://jitgate.example" "Sec-Fetch-Site: same-origin"
expect_eq "sign-in through a proxy that rewrote Host (Sec-Fetch-Site decides)" 201 "$CODE"
session_open application/json "Origin: http://$HOSTPORT" "Sec-Fetch-Site: cross-site"
expect_problem "a same-looking Origin with Sec-Fetch-Site: cross-site" 403 cross-site
session_open "application/json; charset=utf-8"
expect_eq "sign-in without Origin (the CLI, curl), JSON with a charset" 201 "$CODE"
CSRF=$(json_str csrf_token "$BODY")
expect_match "the session has a CSRF token" '^[0-9a-f]{64}$' "$CSRF"

# --- a grant token minted with the cookie needs the CSRF token --------

jg_run alice --json request lab read --reason "INC-1 lab"
GRANT=$(json_str grant_id "$OUT")
expect_match "alice holds a grant" '^grt_' "$GRANT"
cookie_get() { # PATH [HEADER...]
	local path=$1
	shift
	local args=(-sS -o "$JG_TMP/body" -w '%{http_code}' -b "$JG_TMP/jar")
	local h
	for h in "$@"; do args+=(-H "$h"); done
	JG_LAST="curl GET $path with the cookie ($*)"
	CODE=$(curl "${args[@]}" "$JITGATE_URL$path")
	BODY=$(cat "$JG_TMP/body")
}
count_issued() {
	jg_run admin --json audit list --type grant.token_issued --limit 500
	printf '%s' "$OUT" | grep -o '"type":"grant.token_issued"' | wc -l | tr -d ' '
}
N0=$(count_issued)
cookie_get "/v1/grants/$GRANT/token"
expect_problem "grant token with the cookie, no CSRF token" 403 csrf
cookie_get "/v1/grants/$GRANT/token" "X-CSRF-Token: $(printf '%064d' 0)"
expect_problem "grant token with the cookie, a wrong CSRF token" 403 csrf
expect_eq "no token issued (nor audited) without the CSRF token" "$N0" "$(count_issued)"
cookie_get "/v1/grants/$GRANT/token" "X-CSRF-Token: $CSRF"
expect_eq "grant token with the cookie and the CSRF token" 200 "$CODE"
expect_eq "that one is audited" $((N0 + 1)) "$(count_issued)"
cookie_get "/v1/grants/$GRANT"
expect_eq "a plain GET with the cookie needs no CSRF token" 200 "$CODE"
jg_http GET "/v1/grants/$GRANT/token" alice
expect_eq "grant token with a bearer token (no cookie): no CSRF token needed" 200 "$CODE"

# --- HEAD like GET, without a body ------------------------------------

# HEAD PATH as WHO: sets CODE, the headers in $JG_TMP/head, the body size.
head_of() { # PATH WHO
	local args=(-sS -I -o "$JG_TMP/head" -w '%{http_code} %{size_download}')
	[ "$2" != - ] && args+=(-H "@$JG_TMP/hdr.$2")
	JG_LAST="curl -I $1 (as $2)"
	set -- $(curl "${args[@]}" "$JITGATE_URL$1") "$1"
	CODE=$1
	HSIZE=$2
}
get_len() { # PATH WHO: the length of GET's body
	local args=(-sS -o "$JG_TMP/getbody" -w '%{size_download}')
	[ "$2" != - ] && args+=(-H "@$JG_TMP/hdr.$2")
	curl "${args[@]}" "$JITGATE_URL$1"
}
for spec in "/healthz -" "/ -" "/assets/app.js -" "/.well-known/jwks.json -" \
	"/v1/whoami alice" "/v1/requests alice" "/v1/grants/$GRANT alice" \
	"/v1/policy admin" "/v1/audit/verify admin"; do
	set -- $spec
	want=$(get_len "$1" "$2")
	head_of "$1" "$2"
	expect_eq "HEAD $1: 200 like GET" 200 "$CODE"
	expect_eq "HEAD $1: no body" 0 "$HSIZE"
	len=$(tr -d '\r' <"$JG_TMP/head" | sed -n 's/^[Cc]ontent-[Ll]ength: //p')
	expect_eq "HEAD $1: Content-Length of GET's body" "$want" "$len"
done
head_of /v1/whoami -
expect_eq "HEAD without a token: 401 like GET" 401 "$CODE"
head_of /v1/nosuch alice
expect_eq "HEAD on no route: 404" 404 "$CODE"
head_of /v1/check alice
expect_eq "HEAD on a POST-only route: 405" 405 "$CODE"
N1=$(count_issued)
head_of "/v1/grants/$GRANT/token" alice
expect_eq "HEAD on the GET that mints a grant token: 405" 405 "$CODE"
expect_eq "and mints nothing" "$N1" "$(count_issued)"

# --- many policy reloads at once: one consistent chain ----------------

# The file changes all the while (renamed into place, never half
# written), so each reload may see a different policy: with two reloads
# at once, both used to record the same previous policy.
cp "$JG_TMP/policy.yaml" "$JG_TMP/policy.base"
(
	for i in $(seq 1 200); do
		{ cat "$JG_TMP/policy.base"; echo "# version $i"; } >"$JG_TMP/policy.next"
		mv "$JG_TMP/policy.next" "$JG_TMP/policy.yaml"
	done
) &
WRITER=$!
JG_BG_PIDS="$JG_BG_PIDS $WRITER"
pids=""
for w in 1 2 3 4 5 6; do
	(
		for i in $(seq 1 15); do
			curl -sS -o /dev/null -w '%{http_code}\n' -X POST -H "@$JG_TMP/hdr.admin" \
				-H 'Content-Type: application/json' --data-binary '{}' \
				"$JITGATE_URL/v1/policy/reload"
		done >"$JG_TMP/reload.$w"
	) &
	pids="$pids $!"
done
for i in $(seq 1 20); do
	kill -HUP "$JG_PID" 2>/dev/null
	sleep 0.02
done
wait $pids
wait "$WRITER"
sleep 1 # the last SIGHUP's reload
N_API=$(cat "$JG_TMP"/reload.* | grep -c '^200$')
expect_eq "90 API reloads answered 200" 90 "$N_API"
jg_http GET /healthz -
expect_eq "the server survived the reloads" 200 "$CODE"
curl -sS -H "@$JG_TMP/hdr.admin" "$JITGATE_URL/v1/audit/export" >"$JG_TMP/trail"
OUT=$(python3 - "$JG_TMP/trail" <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rel = [e for e in evs if e["type"] == "policy.reloaded"]
api = sum(1 for e in rel if e["actor"] == "admin")
broken = 0
for a, b in zip(rel, rel[1:]):
    if b["details"]["previous_sha256"] != a["details"]["sha256"]:
        broken += 1
print("api=%d all=%d broken=%d" % (api, len(rel), broken))
EOF
)
echo "# policy.reloaded: $OUT"
expect_match "one policy.reloaded per API reload" "^api=$N_API " "$OUT"
expect_match "each previous_sha256 is the sha256 before it (one chain)" " broken=0$" "$OUT"
jg_run admin audit verify
expect_match "the audit chain verifies" "OK" "$OUT"

jg_finish
