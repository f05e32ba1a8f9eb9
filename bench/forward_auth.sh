#!/bin/bash
# bench/forward_auth.sh - forward-auth on the hot path: wrk through nginx
# with auth_request to jitgate's GET /v1/authz/forward, beside the same
# nginx with auth_request to a location of its own that answers 200 (the
# baseline: what auth_request costs with an authoriser that does nothing),
# and to a second nginx server that answers 200 (the same network hop as
# jitgate's, with no work behind it: what the hop alone costs); and
# jitgate behind the allow cache of examples/nginx/jitgate_cache.lua
# (nginx's Lua module; an allow kept for jitgate's X-Jitgate-Cache-Ms,
# the policy's default second), as docs/enforcement.md sets it up.
# All serve the same static file once allowed, in the same run, same
# settings; the figure to watch is forward-auth / baseline (target >= 0.70,
# bench/README.md), with and without the cache.
#
#   BUILD=build bash bench/forward_auth.sh [SECONDS] [THREADS] [CONNS]
#
# Called by bench/run (step forward_auth); runs alone too. Everything
# listens on 127.0.0.1 on free ports and is stopped by PID on exit; the
# scratch files go to $BENCH_TMP (else a temp dir, removed on exit).
set -u -o pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
SECS=${1:-5}
THREADS=${2:-2}
CONNS=${3:-32}
PIDS=
if [ -n "${BENCH_TMP:-}" ]; then
	T=$BENCH_TMP/fwd
	KEEP=1
else
	T=$(mktemp -d /tmp/jitgate-bench-fwd.XXXXXX)
	KEEP=0
fi
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ "$KEEP" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$T/nginx" "$T/www/app"
AS_USER=${AS_USER:-}
if [ "$(id -u)" = 0 ]; then
	chown nobody "$T"
	AS_USER="--user nobody"
fi
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/deps bench)"; exit 1; }
command -v nginx >/dev/null || { echo "nginx is not installed (scripts/deps)"; exit 1; }
MODS=/usr/lib/nginx/modules
[ -f "$MODS/ngx_http_lua_module.so" ] || { echo "nginx's Lua module is not installed (scripts/deps)"; exit 1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
	local i
	for i in $(seq 1 200); do
		curl -s -o /dev/null "$@" && return 0
		sleep 0.1
	done
	return 1
}

cat >"$T/policy.yaml" <<'P'
version: 1
resources:
  app: {actions: [http.read]}
rules:
  - name: reads
    match: {resource: app, action: http.read}
    decision: auto
    max_duration: 8h
forward_auth:
  - {host: app.test, path_prefix: /, resource: app, action: http.read}
P
jport=$(free_port)
"$BUILD/jitgate" serve --listen "127.0.0.1:$jport" --db "$T/fwd.db" \
	--policy "$T/policy.yaml" --bootstrap-token-file "$T/admin.token" \
	--trusted-proxy 127.0.0.1/32 $AS_USER >"$T/jitgate.log" 2>&1 &
PIDS="$PIDS $!"
wait_http "http://127.0.0.1:$jport/healthz" || { echo "jitgate did not start"; tail -n 5 "$T/jitgate.log"; exit 1; }
TOKEN=$(cat "$T/admin.token")
JITGATE_URL=http://127.0.0.1:$jport JITGATE_TOKEN=$TOKEN \
	"$BUILD/jitgate" request app http.read --reason "bench" --duration 8h >/dev/null ||
	{ echo "the grant was not issued"; exit 1; }

printf 'ok' >"$T/www/app/index.html"
mkdir -p "$T/nginx/lua"
cp examples/nginx/jitgate_cache.lua "$T/nginx/lua/"
chmod -R a+rX "$T/www" "$T/nginx"
nport=$(free_port)
hport=$(free_port)
cat >"$T/nginx/nginx.conf" <<N
load_module $MODS/ndk_http_module.so;
load_module $MODS/ngx_http_lua_module.so;
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  upstream jitgate { server 127.0.0.1:$jport; keepalive 64; }
  upstream hop { server 127.0.0.1:$hport; keepalive 64; }
  lua_shared_dict jitgate 10m;
  lua_package_path "$T/nginx/lua/?.lua;;";
  # an authoriser across the same hop that does nothing: 200 at once
  server {
    listen 127.0.0.1:$hport;
    location / { return 200; }
  }
  server {
    listen 127.0.0.1:$nport;
    root $T/www;
    location = /_ok { internal; return 200; }
    location = /_jitgate {
      internal;
      proxy_pass http://jitgate/v1/authz/forward;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method \$request_method;
      proxy_set_header X-Original-URI \$request_uri;
      proxy_set_header X-Original-Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
    location = /_hop {
      internal;
      proxy_pass http://hop/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location /baseline/ { auth_request /_ok; alias $T/www/app/; }
    location /hop/ { auth_request /_hop; alias $T/www/app/; }
    location /app/ {
      auth_request /_jitgate;
      auth_request_set \$jg_principal \$upstream_http_x_jitgate_principal;
      add_header X-Principal \$jg_principal;
    }
    location /cached/ {
      set \$jitgate_key "\$http_authorization|\$cookie_jg_session";
      set \$jg_principal "";
      set \$jg_grant "";
      set \$jg_expires "";
      set \$jg_request_url "";
      access_by_lua_block { require("jitgate_cache").access() }
      add_header X-Principal \$jg_principal;
      alias $T/www/app/;
    }
  }
}
N
nginx -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
	-g 'daemon off;' >"$T/nginx.log" 2>&1 &
PIDS="$PIDS $!"
wait_http "http://127.0.0.1:$nport/baseline/" || { echo "nginx did not start"; cat "$T/nginx/error.log"; exit 1; }
for u in baseline/ hop/ app/ cached/; do
	ans=$(curl -s -H 'Host: app.test' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$nport/$u")
	[ "$ans" = ok ] || { echo "nginx /$u answered '$ans'"; exit 1; }
done

# run NAME PATH SECONDS: wrk GETs with the user's bearer; prints the rate
run() {
	WRK_METHOD=GET WRK_HOST=app.test WRK_TOKEN=$TOKEN WRK_NAME=$1 WRK_CONNS=$CONNS \
		wrk -t"$THREADS" -c"$CONNS" -d"$3"s --latency -s bench/post.lua \
		"http://127.0.0.1:$nport/$2" >"$T/wrk-$1.raw" 2>&1 ||
		{ echo "wrk failed: $(tail -n 1 "$T/wrk-$1.raw")"; return 1; }
	grep -q '"errors":0,"non2xx":0}' "$T/wrk-$1.raw" ||
		{ echo "$1: errors or denials: $(grep '^RESULT' "$T/wrk-$1.raw")"; return 1; }
	grep '^RESULT ' "$T/wrk-$1.raw"
	sed -n 's/.*"rate":\([0-9]*\).*/\1/p' "$T/wrk-$1.raw"
}

echo "nginx $(nginx -v 2>&1 | sed 's/.*\///') (2 workers) on 127.0.0.1:$nport, wrk -t$THREADS -c$CONNS -d${SECS}s, GET with a bearer, keep-alive"
run warm-b baseline/ 1 >/dev/null && run warm-h hop/ 1 >/dev/null &&
	run warm-f app/ 1 >/dev/null && run warm-c cached/ 1 >/dev/null || exit 1
# interleaved halves, so a machine whose load drifts weighs on both alike
half=$(( (SECS + 1) / 2 ))
b=0 f=0 h=0 c=0
for r in 1 2; do
	out=$(run "baseline-$r" baseline/ "$half") || { echo "$out"; exit 1; }
	b=$((b + $(echo "$out" | tail -n 1)))
	out=$(run "hop-$r" hop/ "$half") || { echo "$out"; exit 1; }
	h=$((h + $(echo "$out" | tail -n 1)))
	out=$(run "forward-$r" app/ "$half") || { echo "$out"; exit 1; }
	f=$((f + $(echo "$out" | tail -n 1)))
	out=$(run "cached-$r" cached/ "$half") || { echo "$out"; exit 1; }
	c=$((c + $(echo "$out" | tail -n 1)))
done
b=$((b / 2)) f=$((f / 2)) h=$((h / 2)) c=$((c / 2))
ratio=$(awk -v f="$f" -v b="$b" 'BEGIN { printf "%.2f", b ? f / b : 0 }')
cratio=$(awk -v f="$c" -v b="$b" 'BEGIN { printf "%.2f", b ? f / b : 0 }')
hratio=$(awk -v f="$f" -v b="$h" 'BEGIN { printf "%.2f", b ? f / b : 0 }')
echo "  nginx auth_request to a static 200:        $b req/s (the baseline)"
echo "  nginx auth_request to a proxied 200:       $h req/s (the same hop, an authoriser that does nothing)"
echo "  nginx auth_request to jitgate:             $f req/s: $ratio x the baseline, $hratio x the proxied 200"
echo "  jitgate behind the allow cache (1 s):      $c req/s: $cratio x the baseline (target >= 0.70)"
echo "RESULT {\"bench\":\"forward_auth\",\"baseline_rate\":$b,\"hop_rate\":$h,\"forward_rate\":$f,\"cached_rate\":$c,\"ratio\":$ratio,\"cached_ratio\":$cratio,\"threads\":$THREADS,\"connections\":$CONNS,\"seconds\":$SECS}"
