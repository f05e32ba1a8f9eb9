#!/usr/bin/env bash
# test_hidden_chars.sh - what the approver sees is what runs: a request
# whose payload holds a bidi override (Trojan Source, CVE-2021-42574) or
# a zero-width space, through the real daemon and CLI. `show` prints
# each as <U+202E> while --json keeps the exact text; the
# hidden_chars check flags the reason by default, denies under
# `mode: enforce`, stays quiet under `mode: off`; `policy test` screens
# the payload and params with the same core.
. "$(dirname "$0")/lib.sh"

RLO=$'\u202e'  # RIGHT-TO-LEFT OVERRIDE
ZWSP=$'\u200b' # ZERO WIDTH SPACE

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob]}
resources:
  flag-db: {labels: {env: flag}, actions: [sql.write]}
  deny-db: {labels: {env: deny}, actions: [sql.write]}
  off-db: {labels: {env: off}, actions: [sql.write]}
rules:
  - name: flag-default
    match: {labels: {env: flag}}
    steps: [{group: dba, count: 1}]
  - name: deny-hidden
    match: {labels: {env: deny}}
    checks:
      hidden_chars: {mode: enforce}
    decision: auto
  - name: off-hidden
    match: {labels: {env: off}}
    checks:
      hidden_chars: {mode: off}
    decision: auto
EOF

# --- offline: policy test screens payload and params ----------------------

jg_run - policy test "$JG_TMP/policy.yaml" --request \
	"{\"requester\":\"alice\",\"resource\":\"flag-db\",\"action\":\"sql.write\",\"reason\":\"fix it\",\"payload\":\"SELECT 1; --${RLO} x\"}"
expect_rc "policy test: a flagged request goes on to review" 0
expect_match "policy test names the code point and the byte in the payload" \
	'\[flag\] hidden_chars: payload contains U\+202E RIGHT-TO-LEFT OVERRIDE at byte 12' "$OUT"

jg_run - policy test "$JG_TMP/policy.yaml" --json --request \
	'{"requester":"alice","resource":"deny-db","action":"sql.write","reason":"fix it","params":{"id":"7\u2066"}}'
expect_rc "policy test: enforce denies a hidden character in params" 1
expect_match "the JSON verdict names the params and the isolate" \
	'"name":"hidden_chars","result":"fail","message":"params contains U\+2066 LEFT-TO-RIGHT ISOLATE' "$OUT"

jg_run - policy test "$JG_TMP/policy.yaml" --request \
	"{\"requester\":\"alice\",\"resource\":\"off-db\",\"action\":\"sql.write\",\"reason\":\"fix${ZWSP} it\"}"
expect_rc "policy test: mode off approves" 0
expect_no_match "mode off says nothing of hidden characters" 'hidden_chars' "$OUT"

# --- the daemon and the CLI ------------------------------------------------

jg_start
jg_token alice
jg_token bob --group dba

PAYLOAD="UPDATE t SET x = 1 WHERE name = 'a${RLO}'; --${ZWSP}"
jg_run alice request flag-db sql.write --payload "$PAYLOAD" \
	--reason "INC-1 cleanup${ZWSP}" -q
expect_rc "a request with hidden characters is accepted" 0
ID=$OUT

jg_run bob show "$ID"
expect_rc "show" 0
expect_match "show prints the override as <U+202E> in the payload" \
	"WHERE name = 'a<U\+202E>'; --<U\+200B>$" "$OUT"
expect_match "show prints the reason's zero-width space" 'INC-1 cleanup<U\+200B>' "$OUT"
expect_no_match "show prints no raw override or zero-width space" "[$RLO$ZWSP]" "$OUT"
expect_match "show lists the hidden_chars check flagged, payload first" \
	'\[flag\] hidden_chars: payload contains U\+202E RIGHT-TO-LEFT OVERRIDE at byte 34; reason contains U\+200B ZERO WIDTH SPACE at byte 13' "$OUT"

# the server screens the payload and params, not only the reason
jg_run alice --json request flag-db sql.write --payload "SELECT 1; --${RLO}" \
	--reason "INC-2 clean reason"
expect_match "a hidden character in the payload alone is flagged" \
	'"message":"payload contains U\+202E[^"]*","name":"hidden_chars","result":"flag"' "$OUT"

jg_run bob show "$ID" --json
expect_rc "show --json" 0
expect_match "--json keeps the payload's exact characters" "'a${RLO}'" "$OUT"
expect_no_match "--json has no markers" '<U\+' "$OUT"

jg_run alice request deny-db sql.write --reason "INC-2 go${RLO}" -q
jg_run alice show "$OUT"
expect_match "mode enforce denies a hidden character in the reason" \
	'denied by rule .deny-hidden.: reason contains U\+202E RIGHT-TO-LEFT OVERRIDE at byte 8' "$OUT"

jg_run alice request off-db sql.write --reason "INC-3 go${RLO}" -q
jg_run alice show "$OUT"
expect_match "mode off approves" '^state: +approved' "$OUT"
expect_no_match "mode off records no hidden_chars check" 'hidden_chars' "$OUT"

jg_finish
