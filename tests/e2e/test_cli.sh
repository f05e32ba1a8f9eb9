#!/usr/bin/env bash
# test_cli.sh - the command line itself: help, version, exit codes, global
# options before or after the command, --json output, and that the token
# never shows up in anything the CLI prints.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob]}
resources:
  staging-db: {labels: {env: staging}, actions: [sql.read]}
  vault: {labels: {env: secret}, actions: [secret.read]}
rules:
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
    max_duration: 1h
EOF

jg_run - --version
expect_eq "--version" "jitgate 0.1.0" "$OUT"

jg_run - --help
expect_rc "--help" 0
expect_match "--help lists the commands" '^  audit verify ' "$OUT"
expect_match "--help documents exit 3" '^  3  request expired or cancelled' "$OUT"

jg_run - help request
expect_rc "help request" 0
expect_match "help request shows its usage" '^usage: jitgate request RESOURCE ACTION' "$OUT"
jg_run - request -h
expect_rc "request -h" 0
expect_match "request -h shows the options" '--payload-file FILE' "$OUT"
jg_run - help audit
expect_match "help audit covers the subcommands" 'usage: jitgate audit export' "$OUT"
jg_run - help serve
expect_rc "help serve" 0
expect_match "help serve comes from serve" 'usage: jitgate serve' "$OUT"
jg_run - help nosuch
expect_rc "help for an unknown command" 2

jg_run -
expect_rc "no command" 2
jg_run - audit
expect_rc "audit without a subcommand" 2
expect_match "lists the subcommands" 'usage: jitgate audit verify' "$ERR"
jg_run - check alice staging-db
expect_rc "missing argument" 2
expect_match "names the missing argument" '^jitgate: missing ACTION$' "$(head -n 1 "$JG_TMP/err")"

jg_start
jg_token bob --group dba
ADMIN=$(cat "$JG_TMP/tok.admin")

# Global options before and after the command; --token on the line.
URL=$JITGATE_URL
(
	unset JITGATE_URL
	JG_LAST="--url/--token on the command line"
	"$JITGATE_BIN" --url "$URL" --token "$ADMIN" whoami >"$JG_TMP/out" 2>"$JG_TMP/err"
	echo $? >"$JG_TMP/rc1"
	"$JITGATE_BIN" whoami --json --url="$URL" --token="$ADMIN" >"$JG_TMP/out2" 2>&1
	echo $? >"$JG_TMP/rc2"
)
expect_eq "globals before the command" 0 "$(cat "$JG_TMP/rc1")"
expect_match "whoami as admin" '^principal: +admin$' "$(cat "$JG_TMP/out")"
expect_eq "globals after the command" 0 "$(cat "$JG_TMP/rc2")"
expect_match "--json whoami" '^\{"principal":"admin"' "$(cat "$JG_TMP/out2")"

jg_run bob --json request staging-db sql.read --reason "look"
expect_rc "--json request" 0
expect_match "--json prints the request object" '^\{"id":"req_.*"state":"approved"' "$OUT"
jg_run bob request vault secret.read --reason "no rule matches"
expect_rc "a request denied by policy at once" 1
expect_match "says denied" '^req_[A-Za-z0-9]+ denied: ' "$OUT"

jg_run bob --json list
expect_match "--json list prints the items array" '^\[\{"id":"req_' "$OUT"
jg_run bob check bob staging-db sql.read --json
expect_rc "--json check keeps the exit status" 0
expect_match "--json check" '"allow":true' "$OUT"

jg_run admin --json token list
jg_run admin --json audit export
expect_no_match "the audit trail holds no token" 'jg_[A-Za-z0-9_-]{20}' "$OUT"
jg_run admin list
expect_no_match "no token in list output" "$ADMIN" "$OUT$ERR"
jg_run - --token "$ADMIN" --url http://127.0.0.1:1 list
expect_no_match "no token in an error message" "$ADMIN" "$ERR"

jg_run bob grants --state active
expect_match "grants table" '^ID +STATE +PRINCIPAL +RESOURCE +ACTION +EXPIRES +USES' "$OUT"
jg_run bob grants --state revoked
expect_eq "an empty list prints no table" "" "$OUT"

jg_finish
