#!/usr/bin/env bash
# test_findings.sh - scanner findings through the real daemon: a service
# identity posts generic findings and SARIF 2.1.0 reports to
# /v1/findings; the policy's `findings` list turns them into requests that
# screening decides (low severity in staging approved at once, production
# and higher severities wait for approvers); a finding posted twice makes
# one request; bad findings get their own errors, bad reports are refused
# whole, and people cannot post findings.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
groups:
  appsec: {members: [sam]}
resources:
  staging-app: {labels: {env: staging}, actions: [fix.deploy, alert.silence]}
  prod-app: {labels: {env: prod}, sensitivity: high, actions: [fix.deploy, alert.silence]}
rules:
  - name: scanner-staging-low
    match: {labels: {env: staging}, automation: true}
    checks:
      severity: {at_most: low, mode: match}
    decision: auto
    max_duration: 1h
  - name: scanner-review
    match: {automation: true}
    steps: [{group: appsec, count: 1}]
    max_duration: 1h
findings:
  - match: {type: codeql, rule: 'js/*-false-positive'}
    resource: '{target}'
    action: alert.silence
  - match: {type: [zap, codeql], target: '*-app'}
    resource: '{target}'
    action: fix.deploy
    duration: 30m
    reason: 'fix {rule} ({severity}) at {location}: {recommendation}'
EOF
jg_start
jg_token zap --service
jg_token codeql --service
jg_token alice
jg_token sam

nreq() { # the number of requests
	jg_run admin --json list --limit 500
	count_ids req_ "$OUT"
}
result() { # N KEY: KEY of result N of the last answer
	printf '%s' "$BODY" | tr -d '\n' |
		sed 's/.*"results":\[//' | sed 's/},{/}\n{/g' |
		sed -n "$(($1 + 1))p" | grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" | head -n 1 |
		sed "s/^\"$2\"://; s/^\"//; s/\"\$//"
}

# --- generic findings ---------------------------------------------------

jg_http POST /v1/findings zap '{"id":"ZAP-1","type":"zap","rule":"xss","severity":"low","location":"/search","recommendation":"encode the output","target":"staging-app"}'
expect_eq "a generic finding is accepted" 200 "$CODE"
expect_match "one created, nothing else" '"created":1,"duplicates":0,"errors":0,"skipped":0' "$BODY"
expect_eq "low severity in staging: approved at once" approved "$(result 0 state)"
expect_eq "not a duplicate" false "$(result 0 duplicate)"
expect_eq "the result names the finding" ZAP-1 "$(result 0 finding_id)"
REQ1=$(result 0 request_id)
jg_run admin --json show "$REQ1"
expect_match "requested by the scanner, on the target" \
	'"requester":"zap","resource":"staging-app","action":"fix.deploy"' "$OUT"
expect_match "the reason from the template" \
	'"reason":"fix xss \(low\) at /search: encode the output"' "$OUT"
expect_match "decided by the staging rule" '"rule":"scanner-staging-low","state":"approved"' "$OUT"
expect_match "the finding is the request's context" \
	'"finding":\{"id":"ZAP-1","location":"/search","recommendation":"encode the output","rule":"xss","severity":"low","type":"zap"\}' \
	"$OUT"
expect_match "a grant was issued" '"grant_id":"grt_' "$OUT"
expect_match "for the mapping's duration" '"duration":"30m"' "$OUT"

jg_http POST "/v1/findings?target=prod-app" zap '{"id":"ZAP-2","type":"zap","rule":"xss","severity":"low","location":"/admin"}'
expect_eq "low severity in production: waits for approval" pending "$(result 0 state)"
REQ2=$(result 0 request_id)
jg_run sam --json approve "$REQ2" --comment "fix it"
expect_match "appsec approves it" '"state":"approved"' "$OUT"

jg_http POST /v1/findings zap '{"id":"ZAP-3","type":"zap","rule":"sqli","severity":"high","target":"staging-app"}'
expect_eq "high severity in staging: waits for approval" pending "$(result 0 state)"

# --- duplicates -----------------------------------------------------------

N=$(nreq)
jg_http POST /v1/findings zap '{"id":"ZAP-1","type":"zap","rule":"xss","severity":"low","location":"/search","recommendation":"encode the output","target":"staging-app"}'
expect_eq "the same finding again: a duplicate" true "$(result 0 duplicate)"
expect_eq "of the first request" "$REQ1" "$(result 0 request_id)"
expect_eq "in its state" approved "$(result 0 state)"
expect_match "counted as such" '"created":0,"duplicates":1' "$BODY"
jg_http POST /v1/findings codeql '{"findings":[{"id":"ZAP-1","type":"zap","target":"staging-app"},{"id":"ZAP-1","type":"zap","target":"staging-app"}]}'
expect_eq "from another scanner, and twice in one report" "true true" \
	"$(result 0 duplicate) $(result 1 duplicate)"
expect_eq "no new request" "$N" "$(nreq)"

# --- SARIF ----------------------------------------------------------------

cat >"$JG_TMP/scan.sarif" <<'EOF'
{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [{
    "tool": {"driver": {"name": "CodeQL", "rules": [
      {"id": "js/sql-injection", "properties": {"security-severity": "8.8"}},
      {"id": "js/unused-variable", "defaultConfiguration": {"level": "note"}},
      {"id": "js/eval-false-positive"}
    ]}},
    "results": [
      {"ruleId": "js/unused-variable", "ruleIndex": 1,
       "message": {"text": "remove the unused variable"},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.js"},
                      "region": {"startLine": 3, "startColumn": 9}}}]},
      {"ruleId": "js/sql-injection",
       "message": {"text": "use a parameterised query"},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js"},
                      "region": {"startLine": 42}}}],
       "partialFingerprints": {"primaryLocationLineHash": "39fa2ee980eb94b0:1"}},
      {"ruleId": "js/eval-false-positive", "level": "warning"},
      {"ruleId": "js/unused-variable", "kind": "pass"},
      {"ruleId": "js/unused-variable", "suppressions": [{"kind": "inSource"}]},
      {"level": "error"}
    ]
  }]
}
EOF
N=$(nreq)
jg_http POST "/v1/findings?target=staging-app" codeql "@$JG_TMP/scan.sarif"
expect_eq "a SARIF report is accepted" 200 "$CODE"
expect_match "three raised, one error, two skipped" \
	'"created":3,"duplicates":0,"errors":1,"skipped":2' "$BODY"
expect_eq "type from the tool's name" codeql "$(result 0 type)"
expect_eq "a note in staging: approved" approved "$(result 0 state)"
expect_eq "security-severity 8.8 (high): pending" pending "$(result 1 state)"
expect_match "a result without a rule: its own error" 'the result has no ruleId' "$(result 3 error)"
SQLI=$(result 1 request_id)
jg_run admin --json show "$SQLI"
expect_match "SARIF fields in the context" \
	'"finding":\{"id":"[0-9a-f]{32}","location":"src/db.js:42","recommendation":"use a parameterised query","rule":"js/sql-injection","severity":"high","type":"codeql"\}' \
	"$OUT"
jg_run admin --json show "$(result 2 request_id)"
expect_match "the first matching entry: a false positive is silenced" \
	'"action":"alert.silence"' "$OUT"
expect_eq "three requests more" $((N + 3)) "$(nreq)"

jg_http POST "/v1/findings?target=staging-app" codeql "@$JG_TMP/scan.sarif"
expect_match "the same report again: all duplicates" \
	'"created":0,"duplicates":3,"errors":1' "$BODY"
sed 's/"startLine": 3, "startColumn": 9/"startLine": 4/' "$JG_TMP/scan.sarif" >"$JG_TMP/moved.sarif"
jg_http POST "/v1/findings?target=staging-app" codeql "@$JG_TMP/moved.sarif"
expect_match "a result on another line is another finding; a fingerprint keeps one" \
	'"created":1,"duplicates":2' "$BODY"
expect_eq "one request more" $((N + 4)) "$(nreq)"

# a SARIF file larger than the usual 64 KiB body limit
{
	printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"ZAP"}},"properties":{"log":"'
	head -c 200000 /dev/zero | tr '\0' 'x'
	printf '"},"results":[{"ruleId":"10202","level":"note"}]}]}'
} >"$JG_TMP/big.sarif"
jg_http POST "/v1/findings?target=staging-app" zap "@$JG_TMP/big.sarif"
expect_eq "a 200 KB SARIF report is taken" 200 "$CODE"
expect_eq "and raises its finding" approved "$(result 0 state)"

# --- refusals ---------------------------------------------------------------

jg_snapshot >"$JG_TMP/before"
jg_http POST /v1/findings alice '{"id":"X","type":"zap","target":"staging-app"}'
expect_problem "a person cannot post findings" 403 forbidden
jg_http POST /v1/findings zap '{"version":"2.0.0","runs":[]}'
expect_problem "another SARIF version" 400 invalid-request
jg_http POST /v1/findings zap '{"findings":{}}'
expect_problem "findings that are not a list" 400 invalid-request
jg_http POST "/v1/findings?target=a%20b" zap '{"id":"X","type":"zap"}'
expect_problem "a target that is not a name" 400 invalid-request
{
	printf '{"findings":['
	for i in $(seq 1 501); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"id":"F-%d","type":"zap","target":"staging-app"}' "$i"
	done
	printf ']}'
} >"$JG_TMP/many.json"
jg_http POST /v1/findings zap "@$JG_TMP/many.json"
expect_problem "more than 500 findings" 413 payload-too-large
jg_http POST /v1/findings zap '[1,2]'
expect_problem "not an object" 400 invalid-request
jg_http POST /v1/findings zap '{"findings":[{"id":"A","type":"zap","severity":"urgent","target":"staging-app"},{"id":"B","type":"zap","target":"nowhere"},{"id":"C","type":"nessus","target":"staging-app"},{"id":"D","type":"zap"}]}'
expect_eq "bad findings each get an error, the report is answered" 200 "$CODE"
expect_match "a bad severity" 'severity must be low, medium, high or critical' "$(result 0 error)"
expect_match "no target matching the entry" "no entry of the policy's findings list" "$(result 1 error)"
expect_match "no entry for the type" "type nessus" "$(result 2 error)"
expect_match "no target at all" "no entry of the policy's findings list" "$(result 3 error)"
expect_eq "nothing changed" "$(cat "$JG_TMP/before")" "$(jg_snapshot)"

jg_run admin audit verify
expect_rc "the audit chain holds" 0

jg_finish
