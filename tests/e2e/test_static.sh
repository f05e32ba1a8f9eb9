#!/usr/bin/env bash
# test_static.sh - the embedded dashboard's files (src/http/static.c):
# gzipped (at build time) for a client that takes gzip, as they are for
# one that does not; each representation with its own ETag and
# "Cache-Control: no-cache"; 304 without a body while unchanged; the
# API's answers stay no-store.
# backends: sqlite
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

jg_policy <<'EOF2'
version: 1
resources:
  db: {labels: {env: x}, actions: [read]}
rules:
  - name: all
    match: {resource: db}
    decision: auto
EOF2
jg_start

# GET PATH with curl args: sets CODE, HDRS; the body in $JG_TMP/body.
get() { # PATH [CURL_ARGS...]
	local path=$1
	shift
	rm -f "$JG_TMP/body"
	CODE=$(curl -sS -D "$JG_TMP/hdrs" -o "$JG_TMP/body" -w '%{http_code}' "$@" "$JITGATE_URL$path")
	HDRS=$(tr -d '\r' <"$JG_TMP/hdrs")
}
header() { printf '%s\n' "$HDRS" | sed -n "s/^$1: *//Ip" | head -n 1; }

for f in app.js app.css lib.js index.html; do
	get "/assets/$f" -H 'Accept-Encoding: gzip, deflate, br'
	expect_eq "$f: 200 to a client that takes gzip" 200 "$CODE"
	expect_eq "$f: gzipped" gzip "$(header Content-Encoding)"
	expect_eq "$f: it unpacks to the file" "$(sha256sum <"$ROOT/web/$f" | cut -d' ' -f1)" \
		"$(gzip -dc <"$JG_TMP/body" | sha256sum | cut -d' ' -f1)"
	echo "# $f: $(wc -c <"$ROOT/web/$f") bytes, $(wc -c <"$JG_TMP/body") gzipped"
	expect_eq "$f: no-cache (kept, asked again each time)" no-cache "$(header Cache-Control)"
	expect_eq "$f: Vary: Accept-Encoding" Accept-Encoding "$(header Vary)"
	GZTAG=$(header ETag)
	expect_match "$f: the gzipped representation's tag" '^"[0-9a-f]{32}-gz"$' "$GZTAG"

	get "/assets/$f"
	expect_eq "$f: 200 to a client that does not" 200 "$CODE"
	expect_eq "$f: as it is" "" "$(header Content-Encoding)"
	expect_eq "$f: exactly the file" "$(sha256sum <"$ROOT/web/$f" | cut -d' ' -f1)" \
		"$(sha256sum <"$JG_TMP/body" | cut -d' ' -f1)"
	TAG=$(header ETag)
	expect_eq "$f: its tag is the file's SHA-256 prefix" \
		"\"$(sha256sum <"$ROOT/web/$f" | cut -c1-32)\"" "$TAG"

	get "/assets/$f" -H 'Accept-Encoding: gzip' -H "If-None-Match: $GZTAG"
	expect_eq "$f: unchanged (gzip): 304" 304 "$CODE"
	expect_eq "$f: without a body" 0 "$(wc -c <"$JG_TMP/body" 2>/dev/null || echo 0)"
	get "/assets/$f" -H "If-None-Match: $TAG"
	expect_eq "$f: unchanged (identity): 304" 304 "$CODE"
	get "/assets/$f" -H 'Accept-Encoding: gzip' -H "If-None-Match: $TAG"
	expect_eq "$f: the other representation's tag does not match: 200" 200 "$CODE"
done

get "/assets/app.js" -H 'Accept-Encoding: gzip;q=0, br'
expect_eq "gzip;q=0: as it is" "" "$(header Content-Encoding)"
get "/" -H 'Accept-Encoding: gzip'
expect_eq "/ is index.html, gzipped" gzip "$(header Content-Encoding)"
get "/healthz"
expect_eq "the API stays no-store" no-store "$(header Cache-Control)"
get "/assets/nothing.js"
expect_eq "an unknown file: 404" 404 "$CODE"

jg_finish
