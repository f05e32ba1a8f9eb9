#!/usr/bin/env bash
# test_forward_auth.sh - forward-auth with the real nginx (auth_request) in
# front of a small upstream (nginx itself, echoing what it was given):
# no grant -> 403 (with the link where to ask); request + approve -> 200
# and the upstream sees X-Jitgate-Principal; an unmatched route and a
# method the grant is not for -> 403; revoke -> 403 within a bounded poll
# of one second; expiry -> 403 by the clock, before the sweeper has seen
# it; bearer, grant token and session cookie identities; an identity
# header is believed only from the trusted proxy address (nginx's
# auth_basic as the auth layer in front), never from a client through
# nginx (it strips it) nor from a direct call from 127.0.0.2. The same
# with the allow cache of examples/nginx/jitgate_cache.lua (nginx's Lua
# module): hits spare jitgate, answers are kept per caller and method,
# denials are not kept, a revocation closes within a second, and no
# request made after the grant's end passes.
. "$(dirname "$0")/lib.sh"

NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || jg_bail "nginx installed" "nginx (scripts/deps)" "none"
NGX_MODS=${NGX_MODS:-/usr/lib/nginx/modules}
[ -f "$NGX_MODS/ngx_http_lua_module.so" ] ||
	jg_bail "nginx's Lua module installed" "libnginx-mod-http-lua (scripts/deps)" "none"

jg_policy <<'EOF'
version: 1
groups:
  approvers: {members: [bob]}
resources:
  billing-admin: {actions: [http.read, http.write]}
rules:
  - name: billing
    match: {resource: billing-admin}
    steps: [{group: approvers, count: 1}]
    max_duration: 1h
forward_auth:
  identity_header: X-Forwarded-User
  request_url: http://127.0.0.1:9/#/new
  routes:
    - host: app.test
      path_prefix: /billing/
      methods: [POST, PUT, DELETE]
      resource: billing-admin
      action: http.write
    - host: app.test
      path_prefix: /billing/
      resource: billing-admin
      action: http.read
EOF
# the sweeper never runs during the test: expiry must be the clock's
JG_SERVE_ARGS="--trusted-proxy 127.0.0.1/32 --sweep-interval 1h"
jg_start
jg_token alice
jg_token bob
jg_token pep --role checker
JGPORT=${JITGATE_URL##*:}

# --- nginx: the proxy, an auth layer in front (basic auth), the upstream

NG=$JG_TMP/nginx
mkdir -p "$NG/tmp"
mkdir -p "$NG/lua"
cp "$(dirname "$0")/../../examples/nginx/jitgate_cache.lua" "$NG/lua/"
# the question to jitgate, as docs/enforcement.md asks it (both proxies)
cat >"$NG/ask.conf" <<'EOF'
location = /_jitgate {
  internal;
  proxy_pass http://jitgate/v1/authz/forward;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_pass_request_body off;
  proxy_set_header Content-Length "";
  proxy_set_header X-Original-Method $request_method;
  proxy_set_header X-Original-URI $request_uri;
  proxy_set_header X-Original-Host $host;
  proxy_set_header X-Forwarded-For $remote_addr;
  # no auth layer here: what a client says in it is dropped
  proxy_set_header X-Forwarded-User "";
}
EOF
printf 'carol:%s\n' "$(openssl passwd -apr1 s3cret)" >"$NG/htpasswd"
chmod -R a+rX "$NG"

nginx_conf() { # PROXY_PORT SSO_PORT UPSTREAM_PORT CACHED_PORT
	cat <<EOF
load_module $NGX_MODS/ndk_http_module.so;
load_module $NGX_MODS/ngx_http_lua_module.so;
daemon off;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $NG/tmp/body;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  upstream jitgate { server 127.0.0.1:$JGPORT; keepalive 16; }
  upstream app { server 127.0.0.1:$3; }
  lua_shared_dict jitgate 1m;
  lua_package_path "$NG/lua/?.lua;;";
  # the upstream: says what it was told
  server {
    listen 127.0.0.1:$3;
    location / {
      return 200 "upstream principal=\$http_x_jitgate_principal grant=\$http_x_jitgate_grant\n";
    }
  }
  # the proxy: every request asks jitgate first
  server {
    listen 127.0.0.1:$1;
    include $NG/ask.conf;
    location / {
      auth_request /_jitgate;
      auth_request_set \$jg_principal \$upstream_http_x_jitgate_principal;
      auth_request_set \$jg_grant \$upstream_http_x_jitgate_grant;
      proxy_set_header X-Jitgate-Principal \$jg_principal;
      proxy_set_header X-Jitgate-Grant \$jg_grant;
      proxy_pass http://app;
    }
    # as docs/enforcement.md: a denial redirects to where to ask
    location /billing/portal/ {
      auth_request /_jitgate;
      auth_request_set \$jg_request_url \$upstream_http_x_jitgate_request_url;
      proxy_pass http://app;
      error_page 403 = @denied;
    }
    location @denied {
      if (\$jg_request_url) { return 302 \$jg_request_url; }
      return 403;
    }
  }
  # the proxy with the allow cache, as docs/enforcement.md
  server {
    listen 127.0.0.1:$4;
    include $NG/ask.conf;
    location / {
      set \$jitgate_key "\$http_authorization|\$cookie_jg_session";
      set \$jg_principal "";
      set \$jg_grant "";
      set \$jg_expires "";
      set \$jg_request_url "";
      access_by_lua_block { require("jitgate_cache").access() }
      proxy_set_header X-Jitgate-Principal \$jg_principal;
      proxy_set_header X-Jitgate-Grant \$jg_grant;
      proxy_pass http://app;
      error_page 403 = @denied;
    }
    location @denied {
      if (\$jg_request_url) { return 302 \$jg_request_url; }
      return 403;
    }
  }
  # the same proxy behind a trusted auth layer (basic auth standing in
  # for an SSO proxy): it names the user in X-Forwarded-User
  server {
    listen 127.0.0.1:$2;
    location = /_jitgate {
      internal;
      proxy_pass http://jitgate/v1/authz/forward;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Authorization "";
      proxy_set_header X-Original-Method \$request_method;
      proxy_set_header X-Original-URI \$request_uri;
      proxy_set_header X-Original-Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-User \$remote_user;
    }
    location / {
      auth_basic "sso";
      auth_basic_user_file $NG/htpasswd;
      auth_request /_jitgate;
      auth_request_set \$jg_principal \$upstream_http_x_jitgate_principal;
      proxy_set_header X-Jitgate-Principal \$jg_principal;
      proxy_pass http://app;
    }
  }
}
EOF
}

NGINX_PID=
for try in 1 2 3 4 5; do
	P1=$(jg_random_port)
	P2=$((P1 + 1))
	P3=$((P1 + 2))
	P4=$((P1 + 3))
	nginx_conf "$P1" "$P2" "$P3" "$P4" >"$NG/nginx.conf"
	: >"$NG/error.log"
	"$NGINX" -e "$NG/error.log" -p "$NG" -c "$NG/nginx.conf" 2>>"$NG/error.log" &
	NGINX_PID=$!
	JG_BG_PIDS="$JG_BG_PIDS $NGINX_PID"
	for i in $(seq 1 50); do
		kill -0 "$NGINX_PID" 2>/dev/null || break
		curl -s -o /dev/null "http://127.0.0.1:$P3/" && break
		sleep 0.1
	done
	curl -s -o /dev/null "http://127.0.0.1:$P3/" && break
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
done
[ -n "$NGINX_PID" ] || jg_bail "nginx starts" "listening" "$(tail -3 "$NG/error.log")"
PROXY=http://127.0.0.1:$P1
SSO=http://127.0.0.1:$P2
CACHED=http://127.0.0.1:$P4

# through nginx as WHO ("-" none): sets CODE, BODY. Extra curl args after.
via() { # METHOD PATH WHO [CURL ARGS...]
	local method=$1 path=$2 who=$3
	shift 3
	local args=(-sS -o "$JG_TMP/body" -w '%{http_code}' -X "$method" -H 'Host: app.test')
	[ "$who" != - ] && args+=(-H "@$JG_TMP/hdr.$who")
	JG_LAST="curl -X $method $PROXY$path (as $who) $*"
	CODE=$(curl "${args[@]}" "$@" "$PROXY$path" 2>"$JG_TMP/err")
	BODY=$(cat "$JG_TMP/body" 2>/dev/null)
}

# jitgate's endpoint directly, from address FROM, about GET of URI
# (default /billing/report?month=11): sets CODE, BODY, HDRS.
direct() { # FROM [CURL ARGS...]
	local from=$1
	shift
	JG_LAST="curl --interface $from /v1/authz/forward $*"
	CODE=$(curl -sS --interface "$from" -D "$JG_TMP/hdrs" -o "$JG_TMP/body" \
		-w '%{http_code}' -H 'X-Original-Method: GET' \
		-H "X-Original-URI: ${URI:-/billing/report?month=11}" \
		-H 'X-Original-Host: app.test:8443' "$@" \
		"$JITGATE_URL/v1/authz/forward" 2>"$JG_TMP/err")
	BODY=$(cat "$JG_TMP/body" 2>/dev/null)
	HDRS=$(tr -d '\r' <"$JG_TMP/hdrs" 2>/dev/null)
}

# --- no grant ---------------------------------------------------------

via GET /billing/report - 
expect_eq "no credentials through nginx -> 401" 401 "$CODE"
via GET /billing/report alice
expect_eq "no grant -> 403" 403 "$CODE"
direct 127.0.0.1 -H "@$JG_TMP/hdr.alice"
expect_eq "the trusted proxy address may ask directly" 403 "$CODE"
expect_match "the denial says why" 'no active grant for alice to http.read on billing-admin' "$BODY"
expect_match "the denial carries the link where to ask" \
	'X-Jitgate-Request-Url: http://127.0.0.1:9/#/new\?resource=billing-admin&action=http.read' "$HDRS"
via GET /billing/portal/x alice -D "$JG_TMP/hdrs"
expect_eq "nginx's error_page turns the denial into a redirect" 302 "$CODE"
expect_match "... to where the grant can be asked for" \
	'Location: http://127.0.0.1:9/#/new\?resource=billing-admin&action=http.read' \
	"$(tr -d '\r' <"$JG_TMP/hdrs")"
via GET /other/page alice
expect_eq "a path no route matches -> 403" 403 "$CODE"
URI=/elsewhere direct 127.0.0.1 -H "@$JG_TMP/hdr.alice"
expect_match "... saying no route matches" 'no forward_auth route' "$BODY"
URI=/billing/../admin direct 127.0.0.1 -H "@$JG_TMP/hdr.alice"
expect_match "a path with '..' matches no route" 'not a plain path' "$BODY"
PROXY=$CACHED via GET /billing/report alice
expect_eq "through the allow cache: no grant -> 403, which its error_page turns into the redirect" 302 "$CODE"
PROXY=$CACHED via GET /billing/report -
expect_eq "... no credentials -> 401" 401 "$CODE"

# --- request, approve -------------------------------------------------

jg_run alice --json request billing-admin http.read --reason "INC-7 invoices" --duration 30m
REQ=$(json_str id "$OUT")
jg_run bob approve "$REQ" --comment ok
expect_rc "bob approves" 0
jg_run alice --json grants
GRANT=$(json_str id "$OUT")
expect_match "alice holds a grant" '^grt_' "$GRANT"

via GET /billing/report alice
expect_eq "with the grant -> 200" 200 "$CODE"
expect_eq "the upstream sees the principal and the grant" \
	"upstream principal=alice grant=$GRANT" "$BODY"
via HEAD /billing/report alice -I
expect_eq "HEAD too" 200 "$CODE"
via POST /billing/report alice
expect_eq "a write needs http.write, which alice lacks -> 403" 403 "$CODE"
via GET /other/page alice
expect_eq "an unmatched route stays 403 with the grant" 403 "$CODE"
# nginx passes the client's own headers on: a client that sends the other
# family (X-Forwarded-*) must not choose what jitgate is asked about
via POST /billing/report alice -H 'X-Forwarded-Method: GET'
expect_ne "a POST that claims to be a GET does not pass" 200 "$CODE"
expect_eq "... nginx answers 500 (jitgate refused the conflicting question)" 500 "$CODE"
via GET /other/page alice -H 'X-Forwarded-Uri: /billing/report' -H 'X-Forwarded-Method: GET'
expect_ne "a client naming another path does not pass" 200 "$CODE"
direct 127.0.0.1 -H "@$JG_TMP/hdr.alice" -H 'X-Forwarded-Uri: /billing/report?month=11'
expect_eq "both families agreeing is fine" 200 "$CODE"
direct 127.0.0.1 -H "@$JG_TMP/hdr.alice"
expect_eq "direct: 200" 200 "$CODE"
expect_match "X-Jitgate-Principal" 'X-Jitgate-Principal: alice' "$HDRS"
expect_match "X-Jitgate-Grant" "X-Jitgate-Grant: $GRANT" "$HDRS"
expect_match "X-Jitgate-Expires" 'X-Jitgate-Expires: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$HDRS"
expect_match "X-Jitgate-Cache-Ms: the policy's default second" 'X-Jitgate-Cache-Ms: 1000' "$HDRS"

# --- the allow cache ----------------------------------------------------

# allowing answers jitgate has given to the proxies so far
fwd_allows() {
	curl -s -H "Authorization: Bearer $(cat "$JG_TMP/tok.admin")" "$JITGATE_URL/metrics" |
		awk '/^jitgate_http_requests_total\{route="\/v1\/authz\/forward",method="GET",code="200"\}/ { n = $2 }
		     END { print n + 0 }'
}
PROXY=$CACHED via GET /billing/report alice
expect_eq "through the allow cache, with the grant (denials were not kept) -> 200" 200 "$CODE"
expect_eq "... the upstream sees the principal and the grant" \
	"upstream principal=alice grant=$GRANT" "$BODY"
before=$(fwd_allows)
for i in 1 2 3 4 5; do
	PROXY=$CACHED via GET /billing/report alice
	[ "$CODE" = 200 ] || break
done
after=$(fwd_allows)
expect_eq "five more requests at once: all 200" 200 "$CODE"
expect_eq "... the upstream still sees the principal and the grant from the cache" \
	"upstream principal=alice grant=$GRANT" "$BODY"
if [ $((after - before)) -le 1 ]; then
	ok "... and jitgate was asked at most once for them ($before -> $after allows)"
else
	not_ok "... and jitgate was asked at most once for them" "at most 1 more" "$before -> $after"
fi
PROXY=$CACHED via POST /billing/report alice
expect_eq "the cache keeps answers per method: a POST -> 403 (redirected)" 302 "$CODE"
PROXY=$CACHED via GET /billing/report bob
expect_eq "... and per caller: bob on the same URI -> 403 (redirected)" 302 "$CODE"

# where the grant is used from: the trusted proxy's X-Forwarded-For names
# the client; the grant's first use from each address is recorded, once
direct 127.0.0.1 -H "@$JG_TMP/hdr.alice" -H 'X-Forwarded-For: 192.0.2.55'
expect_eq "for a client the proxy names: 200" 200 "$CODE"
direct 127.0.0.1 -H "@$JG_TMP/hdr.alice" -H 'X-Forwarded-For: 192.0.2.55'
jg_run admin --json audit list --type grant.used --subject "$GRANT"
expect_match "its first use from that client is recorded, via forward" '"source": *"192.0.2.55".*"via": *"forward"|"via": *"forward".*"source": *"192.0.2.55"' "$(printf '%s' "$OUT" | tr -d '\n')"
expect_eq "once" 1 "$(printf '%s' "$OUT" | grep -c '"source": *"192.0.2.55"')"
# through nginx, which names the client it sees ($remote_addr): a client
# at 127.0.0.3 claiming another address in its own X-Forwarded-For
via GET /billing/report alice --interface 127.0.0.3 -H 'X-Forwarded-For: 192.0.2.99'
expect_eq "through nginx from 127.0.0.3: 200" 200 "$CODE"
# and through the allow cache from 127.0.0.4, right after an allow for
# the same caller and URI from 127.0.0.1 was kept: a new address misses
PROXY=$CACHED via GET /billing/report alice
PROXY=$CACHED via GET /billing/report alice --interface 127.0.0.4
expect_eq "through the allow cache from 127.0.0.4: 200" 200 "$CODE"
jg_run admin --json audit list --type grant.used --subject "$GRANT"
expect_match "the use is recorded from the address nginx saw" '"source": *"127.0.0.3"' "$OUT"
expect_no_match "... never the one the client claimed" '192.0.2.99' "$OUT"
expect_match "a new address behind the cache reaches the trail too" '"source": *"127.0.0.4"' "$OUT"

# Traefik's and Caddy's headers; Envoy asks with the client's method
CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -X DELETE -H "@$JG_TMP/hdr.alice" \
	-H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Uri: /billing/x' \
	-H 'X-Forwarded-Host: app.test' "$JITGATE_URL/v1/authz/forward")
expect_eq "X-Forwarded-* headers, asked with DELETE: the header's GET decides" 200 "$CODE"
CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -X POST -H "@$JG_TMP/hdr.alice" \
	-H 'X-Forwarded-Method: DELETE' -H 'X-Forwarded-Uri: /billing/x' \
	-H 'X-Forwarded-Host: app.test' "$JITGATE_URL/v1/authz/forward")
expect_eq "... and a DELETE asked with POST needs http.write" 403 "$CODE"
CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -H "@$JG_TMP/hdr.alice" \
	-H 'X-Forwarded-Host: app.test' "$JITGATE_URL/v1/authz/forward")
expect_eq "no method and URI headers -> 400" 400 "$CODE"

# --- identities -------------------------------------------------------

curl -sS -o /dev/null -c "$JG_TMP/jar" -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"token\":\"$(cat "$JG_TMP/tok.alice")\"}" "$JITGATE_URL/v1/session"
COOKIE=$(awk '$6 == "jg_session" {print $7}' "$JG_TMP/jar")
expect_match "a dashboard session" '^jg_' "$COOKIE"
via GET /billing/report - -H "Cookie: jg_session=$COOKIE"
expect_eq "the session cookie is an identity" 200 "$CODE"
expect_match "... naming alice" 'principal=alice' "$BODY"
via GET /billing/report - -H "Cookie: jg_session=jg_nosuchsession"
expect_eq "an unknown session -> 401" 401 "$CODE"
via GET /billing/report bad -H 'Authorization: Bearer jg_notavalidtokenatallxxxxxxxxxxxxxxxxxxxx'
expect_eq "an unknown bearer -> 401" 401 "$CODE"

jg_run alice token fetch "$GRANT"
GTOKEN=$OUT
via GET /billing/report - -H "Authorization: Bearer $GTOKEN"
expect_eq "a grant token is an identity" 200 "$CODE"
expect_match "... of its holder" 'principal=alice' "$BODY"
c=${GTOKEN: -10:1}
r=A
[ "$c" = A ] && r=B
via GET /billing/report - -H "Authorization: Bearer ${GTOKEN:0:${#GTOKEN}-10}$r${GTOKEN: -9}"
expect_eq "a tampered grant token -> 401" 401 "$CODE"

# the identity header
via GET /billing/report - -H 'X-Forwarded-User: alice'
expect_eq "a client's X-Forwarded-User through nginx is dropped -> 401" 401 "$CODE"
CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -u carol:s3cret -H 'Host: app.test' "$SSO/billing/report")
expect_eq "carol signed in at the auth layer, no grant -> 403" 403 "$CODE"
direct 127.0.0.1 -H 'X-Forwarded-User: alice'
expect_eq "the header from the trusted address is believed" 200 "$CODE"
expect_match "... as alice" 'X-Jitgate-Principal: alice' "$HDRS"
direct 127.0.0.2 -H 'X-Forwarded-User: alice'
expect_eq "from an untrusted address without a checker token -> 403" 403 "$CODE"
expect_match "... saying who may ask" 'checker token' "$BODY"
direct 127.0.0.2 -H "X-Jitgate-Checker: $(cat "$JG_TMP/tok.pep")" -H 'X-Forwarded-User: alice'
expect_eq "with a checker token from 127.0.0.2 the header is ignored -> 401" 401 "$CODE"
direct 127.0.0.2 -H "X-Jitgate-Checker: $(cat "$JG_TMP/tok.alice")" -H "@$JG_TMP/hdr.alice"
expect_eq "a token without the checker role is no enforcement point -> 403" 403 "$CODE"
direct 127.0.0.2 -H "X-Jitgate-Checker: $(cat "$JG_TMP/tok.pep")" -H "@$JG_TMP/hdr.alice"
expect_eq "with a checker token from 127.0.0.2, alice's bearer -> 200" 200 "$CODE"

# carol gets a grant: the auth layer's name is then enough
jg_token carol
jg_run carol --json request billing-admin http.read --reason "INC-8 audit"
jg_run bob approve "$(json_str id "$OUT")" --comment ok
CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -u carol:s3cret -H 'Host: app.test' "$SSO/billing/report")
expect_eq "carol via the auth layer with a grant -> 200" 200 "$CODE"
expect_match "... the upstream sees carol" 'principal=carol' "$(cat "$JG_TMP/body")"

# --- revoke: closed within one second --------------------------------

PROXY=$CACHED via GET /billing/report alice
expect_eq "an allow in the cache before the revocation" 200 "$CODE"
jg_run admin revoke "$GRANT" --reason "done with it"
expect_rc "the grant is revoked" 0
t0=$(date +%s%N)
for i in $(seq 1 30); do
	PROXY=$CACHED via GET /billing/report alice
	[ "$CODE" = 302 ] && break
	sleep 0.05
done
t1=$(date +%s%N)
expect_eq "through the cache: revoked -> 403 (redirected) once the cached allow ends" 302 "$CODE"
ok "... after $(( (t1 - t0) / 1000000 )) ms (the cache holds an allow at most 1000 ms)"
for i in 1 2 3 4 5 6 7 8 9 10; do
	via GET /billing/report alice
	[ "$CODE" = 403 ] && break
	sleep 0.1
done
expect_eq "revoked -> 403 within ten polls of 0.1 s" 403 "$CODE"

# --- expiry: closed by the clock, not by the sweeper ------------------

jg_run alice --json request billing-admin http.read --reason "INC-9 short" --duration 2s
jg_run bob approve "$(json_str id "$OUT")" --comment ok
jg_run alice --json grants --state active
SHORT=$(json_str id "$OUT")
expect_match "a two-second grant" '^grt_' "$SHORT"
direct 127.0.0.1 -H "@$JG_TMP/hdr.alice"
END=$(date -d "$(printf '%s\n' "$HDRS" | sed -n 's/^X-Jitgate-Expires: //p')" +%s)
# through the cache, without a pause until past the end: no request begun
# at or after it may pass (the cache never keeps an allow past the end)
: >"$JG_TMP/cached-expiry"
while :; do
	t=$(date +%s.%N)
	PROXY=$CACHED via GET /billing/report alice
	echo "$t $CODE" >>"$JG_TMP/cached-expiry"
	awk -v t="$t" -v e="$END" 'BEGIN { exit !(t > e + 0.3) }' && break
done
late=$(awk -v e="$END" '$1 >= e && $2 == 200' "$JG_TMP/cached-expiry" | head -1)
early=$(awk -v e="$END" '$1 < e - 0.2 && $2 == 200' "$JG_TMP/cached-expiry" | wc -l)
expect_eq "through the cache: no request begun at or after the grant's end passes" "" "$late"
if [ "$early" -gt 0 ]; then
	ok "... while $early requests before it were allowed"
else
	not_ok "... while requests before it were allowed" "some 200 before the end" "$(head -3 "$JG_TMP/cached-expiry")"
fi
via GET /billing/report alice
expect_eq "plain auth_request after the end: 403" 403 "$CODE"
for i in $(seq 1 60); do
	via GET /billing/report alice
	[ "$CODE" = 403 ] && break
	sleep 0.1
done
expect_eq "expired -> 403" 403 "$CODE"
jg_run admin --json audit list --limit 500
if printf '%s' "$OUT" | grep -q "grant.expired"; then
	not_ok "... before any sweep recorded it (the clock decided)" "no grant.expired" "$(printf '%s' "$OUT" | grep -o 'grant.expired[^}]*' | head -1)"
else
	ok "... before any sweep recorded it (the clock decided)"
fi

jg_finish
