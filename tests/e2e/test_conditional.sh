#!/usr/bin/env bash
# test_conditional.sh - conditional GETs (src/http/etag.c): an API answer
# carries the ETag of its bytes and stays no-store; asked again with that
# tag it is a 304 without a body until something in it changes (another
# caller's view differs, as can_review does); POSTs are never 304.
# backends: sqlite
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF2'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.write]}
rules:
  - name: writes
    match: {resource: prod-db}
    steps: [{group: dba, count: 1}]
EOF2

jg_start
jg_token alice
jg_token bob --group dba

# One GET as WHO with extra curl args: sets CODE, HDRS, BODY.
get() { # WHO PATH [CURL_ARGS...]
	local who=$1 path=$2
	shift 2
	rm -f "$JG_TMP/body" # curl writes no file for an empty body
	CODE=$(curl -sS -D "$JG_TMP/hdrs" -o "$JG_TMP/body" -w '%{http_code}' \
		-H "@$JG_TMP/hdr.$who" "$@" "$JITGATE_URL$path")
	HDRS=$(tr -d '\r' <"$JG_TMP/hdrs")
	BODY=$(cat "$JG_TMP/body" 2>/dev/null)
}
etag_of() { printf '%s\n' "$HDRS" | sed -n 's/^[Ee][Tt]ag: *//p'; }

get alice "/v1/requests?state=pending"
expect_eq "a list answers 200" 200 "$CODE"
TAG=$(etag_of)
expect_match "with a strong ETag" '^"[0-9a-f]{32}"$' "$TAG"
expect_match "and stays no-store" '^Cache-Control: no-store$' "$HDRS"

get alice "/v1/requests?state=pending" -H "If-None-Match: $TAG"
expect_eq "the same tag: 304" 304 "$CODE"
expect_eq "without a body" "" "$BODY"
expect_match "naming the tag again" "^ETag: $TAG$" "$HDRS"
get alice "/v1/requests?state=pending" -H "If-None-Match: \"x\", W/$TAG"
expect_eq "a list of tags, one of them weak: 304" 304 "$CODE"
get alice "/v1/requests?state=pending" -H 'If-None-Match: "0123"'
expect_eq "another tag: 200" 200 "$CODE"

jg_run alice request prod-db sql.write --reason "INC-1 unlock account" -q
REQ=$OUT
get alice "/v1/requests?state=pending" -H "If-None-Match: $TAG"
expect_eq "a new request changes the list: 200" 200 "$CODE"
expect_match "the new answer has it" "$REQ" "$BODY"
TAG2=$(etag_of)
expect_ne "under a new tag" "$TAG" "$TAG2"

get bob "/v1/requests?state=pending" -H "If-None-Match: $TAG2"
expect_eq "bob's view of the same list differs (can_review): 200" 200 "$CODE"
expect_ne "so does its tag" "$TAG2" "$(etag_of)"

get alice "/v1/requests/$REQ" -H "If-None-Match: *"
expect_eq "If-None-Match: * on a request that exists: 304" 304 "$CODE"
get alice "/v1/requests/req_00000000000000000000000000" -H "If-None-Match: *"
expect_eq "a problem is never 304" 404 "$CODE"
expect_no_match "nor tagged" '^ETag:' "$HDRS"

CODE=$(curl -sS -o "$JG_TMP/body" -w '%{http_code}' -H "@$JG_TMP/hdr.bob" \
	-H 'If-None-Match: *' -H 'Content-Type: application/json' \
	--data-binary '{"comment":"fine"}' "$JITGATE_URL/v1/requests/$REQ/approve")
expect_eq "a POST is never 304: bob approves" 200 "$CODE"

jg_finish
