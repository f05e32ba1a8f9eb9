#!/usr/bin/env bash
# test_screening.sh - screening through the real daemon and CLI: checks
# that pass, flag, deny or make a rule not apply; scanner findings;
# break-glass and the review it owes; policy reload (SIGHUP and the API,
# a bad file refused) with pending requests keeping their steps; replay
# of history under a stricter policy; grant extensions; and the offline
# `policy check` / `policy test`.
. "$(dirname "$0")/lib.sh"

# A weekday two days from now (UTC): a window on it is closed for the
# whole run, whenever the run starts.
CLOSED_DAY=$(date -u -d '+2 days' +%a | tr 'A-Z' 'a-z')

# The policy, with two knobs: the steps of rule flag-source and the
# outcome of rule staging-auto (what reload and replay change).
write_policy() { # FILE FLAG_STEPS STAGING_OUTCOME
	cat >"$1" <<EOF
version: 1
groups:
  dba: {members: [bob, carol]}
  security: {members: [dave]}
  oncall: {members: [olga]}
resources:
  staging-db: {labels: {env: staging}, actions: [sql.read, sql.write]}
  ticket-db: {labels: {env: tick}, actions: [sql.write]}
  flag-db: {labels: {env: flagged}, actions: [sql.read]}
  win-db: {labels: {env: win}, actions: [sql.read]}
  prod-db: {labels: {env: prod}, sensitivity: high, actions: [sql.read, sql.write]}
  scan-app: {labels: {env: scan}, actions: [fix.deploy]}
rules:
  - name: staging-auto
    match: {labels: {env: staging}}
    $3
    max_duration: 2h
  - name: ticket-required
    match: {labels: {env: tick}}
    checks:
      ticket: {pattern: "INC-[0-9]+"}
    decision: auto
  - name: flag-source
    match: {labels: {env: flagged}}
    checks:
      source: {cidrs: [10.0.0.0/8], mode: flag}
    steps: $2
  - name: closed-window
    match: {labels: {env: win}}
    checks:
      time: {zone: UTC, days: $CLOSED_DAY, hours: "00:00-00:01", mode: match}
    decision: auto
  - name: window-fallback
    match: {labels: {env: win}}
    steps: [{group: dba, count: 1}]
  - name: scanner-low
    match: {labels: {env: scan}, automation: true}
    checks:
      severity: {at_most: low}
    decision: auto
  - name: prod-writes
    match: {labels: {env: prod}, action: sql.write}
    steps: [{group: dba, count: 2}]
    max_duration: 1h
    break_glass: {group: oncall, max_duration: 15m}
    extensions: {auto: 1}
EOF
}

STEPS1='[{group: dba, count: 1}]'
STEPS2='[{group: security, count: 1}]'
write_policy "$JG_TMP/policy.yaml" "$STEPS1" "decision: auto"

# --- offline: policy check and policy test ------------------------------

jg_run - policy check "$JG_TMP/policy.yaml"
expect_rc "policy check on a valid file" 0
expect_match "says OK with counts and sha256" \
	"^policy $JG_TMP/policy.yaml: OK \(6 resources, 7 rules, sha256 [0-9a-f]{64}\)$" "$OUT"

printf 'version: 1\nrules:\n  - name: a\n    decision: auto\n    checks:\n      ticket: {patern: "x"}\n' >"$JG_TMP/bad.yaml"
jg_run - policy check "$JG_TMP/bad.yaml"
expect_rc "policy check on a bad file" 1
expect_match "names file and line" "^$JG_TMP/bad.yaml:6: " "$ERR"
jg_run - help policy
expect_match "help policy covers the subcommands" '^usage: jitgate policy replay FILE' "$OUT"
jg_run - policy
expect_rc "policy without a subcommand" 2
jg_run - policy check "$JG_TMP/nosuch.yaml"
expect_rc "policy check on a missing file" 2

jg_run - policy test "$JG_TMP/policy.yaml" --request \
	'{"requester":"alice","resource":"ticket-db","action":"sql.write","reason":"fix","ticket":"BAD-1","source_ip":"127.0.0.1"}'
expect_rc "policy test: an enforce check denies" 1
expect_match "prints the rule" "^rule: +ticket-required \(line [0-9]+\)$" "$OUT"
expect_match "prints the failing check" "^  \[fail\] ticket: ticket 'BAD-1' does not match" "$OUT"
expect_match "prints the decision" "^decision: deny: denied by rule 'ticket-required'" "$OUT"

jg_run - policy test "$JG_TMP/policy.yaml" --json --request \
	'{"requester":"alice","resource":"flag-db","action":"sql.read","reason":"look","source_ip":"127.0.0.1"}'
expect_rc "policy test: a flag still goes to review" 0
expect_match "--json: decision review" '"decision":"review"' "$OUT"
expect_match "--json: the flag and its sentence" \
	'"name":"source","result":"flag","message":"source 127.0.0.1 is not in 10.0.0.0/8"' "$OUT"

printf '{"requester":"alice","resource":"win-db","action":"sql.read","reason":"r"}' >"$JG_TMP/ask.json"
jg_run - policy test "$JG_TMP/policy.yaml" --request "@$JG_TMP/ask.json"
expect_rc "policy test from @file" 0
expect_match "a closed MATCH window falls through" "^rule: +window-fallback " "$OUT"

jg_run - policy test "$JG_TMP/policy.yaml" --request \
	'{"requester":"alice","resource":"prod-db","action":"sql.write","reason":"r","break_glass":true}'
expect_rc "policy test: break-glass by a non-member is refused" 2
expect_match "with the reason" "is for group 'oncall', and alice is not in it" "$ERR"
jg_run - policy test "$JG_TMP/policy.yaml" --request \
	'{"requester":"alice","resource":"prod-db","action":"sql.write","reason":"r","duration":"2h"}'
expect_rc "policy test: duration above the maximum" 2
expect_match "names both durations" "duration 2h is above the maximum 1h" "$ERR"
jg_run - policy test "$JG_TMP/policy.yaml" --request '{"requester":"alice","resource":"prod-db"}'
expect_rc "policy test: missing action" 2
expect_one_error_line "one error line"

# --- the server ---------------------------------------------------------

jg_start
jg_token alice
jg_token bob --group dba
jg_token carol --group dba
jg_token dave --group security
jg_token olga
jg_token scanner --service --description "DAST scanner"
jg_token auditor --role auditor
STAGING_REQS=""

jg_run alice request staging-db sql.read --reason "look at staging" --duration 30m
expect_rc "staging: approved automatically" 0
expect_match "approved with a grant" '^req_[A-Za-z0-9]+ approved: .*; grant grt_' "$OUT"
STAGING_REQS="$STAGING_REQS ${OUT%% *}"
jg_run alice --json show "${OUT%% *}"
expect_eq "decision auto" auto "$(json_str decision "$OUT")"

# --- an enforce check denies, a flag is shown and audited ---------------

jg_run alice request ticket-db sql.write --reason "fix the row" --ticket BAD-1
expect_rc "a bad ticket is denied at once" 1
DENIED=${OUT%% *}
jg_run alice show "$DENIED"
expect_match "show: the failing check and its sentence" \
	"^  \[fail\] ticket: ticket 'BAD-1' does not match INC-\[0-9\]\+" "$OUT"
expect_match "show: decision deny" '^decision: +deny$' "$OUT"
jg_run alice request ticket-db sql.write --reason "fix the row" --ticket INC-42
expect_rc "a good ticket is approved" 0

jg_run alice request flag-db sql.read --reason "read the flags"
expect_rc "a flagged request goes to review" 0
FLAGGED=${OUT%% *}
expect_match "pending for 1 of dba" "^$FLAGGED pending: needs 1 of dba$" "$OUT"
jg_run bob show "$FLAGGED"
expect_match "the approver sees the flag" \
	'^  \[flag\] source: source 127\.0\.0\.1 is not in 10\.0\.0\.0/8$' "$OUT"
expect_match "and the context" '^  source_ip: 127\.0\.0\.1$' "$OUT"
jg_run auditor --json audit list --type request.created --subject "$FLAGGED"
expect_match "the audit trail records the flag" \
	'"screening":\[[^]]*"result":"flag"' "$OUT"

# --- a MATCH-mode window that is closed: the next rule applies ----------

jg_run alice --json request win-db sql.read --reason "window"
expect_rc "closed window: request accepted" 0
expect_eq "the next rule decides" window-fallback "$(json_str rule "$OUT")"
expect_eq "pending, not auto" pending "$(json_str state "$OUT")"

# --- scanner findings ----------------------------------------------------

FINDING='{"id":"F-1","type":"dast","rule":"xss","severity":"low","location":"/login","recommendation":"escape output"}'
jg_run scanner request scan-app fix.deploy --reason "auto fix" --finding "$FINDING"
expect_rc "a low finding from the scanner is approved" 0
SCAN=${OUT%% *}
jg_run scanner show "$SCAN"
expect_match "show: the finding in the context" '^    id: F-1$' "$OUT"
expect_match "show: the severity check" '^  \[pass\] severity: finding severity low is at most low$' "$OUT"
jg_run scanner request scan-app fix.deploy --reason "auto fix" \
	--finding '{"id":"F-2","type":"dast","severity":"high"}'
expect_rc "a high finding is denied" 1
jg_run alice request scan-app fix.deploy --reason "me too" --finding "$FINDING"
expect_rc "a person cannot attach a finding" 2
expect_match "says why" 'only service identities' "$ERR"
jg_run scanner request scan-app fix.deploy --reason "x" --finding '{"id":'
expect_rc "--finding must be JSON" 2

# --- break-glass ---------------------------------------------------------

# the request form offers the box only where the caller may use it
bg_actions() { # RESOURCE (in BODY)
	printf '%s' "$BODY" | python3 -c '
import json, sys
print(",".join([r for r in json.load(sys.stdin)["items"] if r["name"] == sys.argv[1]][0]["break_glass"]))' "$1"
}
jg_http GET /v1/resources olga
expect_eq "olga (oncall) may use break-glass for prod-db sql.write" "sql.write" "$(bg_actions prod-db)"
expect_eq "no rule with break-glass: none on staging-db" "" "$(bg_actions staging-db)"
jg_http GET /v1/resources alice
expect_eq "alice, not in oncall, may not" "" "$(bg_actions prod-db)"

jg_run olga request prod-db sql.write --break-glass --reason "INC-7 outage, db down" --duration 10m
expect_rc "break-glass by an oncall member: approved at once" 0
BG=${OUT%% *}
expect_match "with a grant, review required" "^$BG approved: .*; grant grt_[A-Za-z0-9_-]+; post-review required$" "$OUT"
jg_run olga --json show "$BG"
expect_eq "decision break-glass" break-glass "$(json_str decision "$OUT")"
expect_eq "post_review required" required "$(json_str post_review "$OUT")"
expect_match "break_glass true" '"break_glass":true' "$OUT"
jg_run auditor --json audit list --type alert.break_glass --subject "$BG"
expect_eq "an alert.break_glass event" 1 "$(printf '%s' "$OUT" | grep -o '"type":"alert.break_glass"' | wc -l | tr -d ' ')"
jg_run bob list --post-review required
expect_rc "list --post-review required" 0
expect_match "lists the break-glass request" "^$BG " "$OUT"
# the dashboard's form shows where the call would work: can_post_review
jg_http GET "/v1/requests/$BG" bob
expect_match "a dba member may post-review (can_post_review)" '"can_post_review": *true' "$BODY"
jg_http GET "/v1/requests/$BG" olga
expect_match "the requester may not (can_post_review)" '"can_post_review": *false' "$BODY"
jg_http GET "/v1/requests/$BG" auditor
expect_match "an auditor sees it but may not (can_post_review)" '"can_post_review": *false' "$BODY"
jg_run bob list --post-review maybe
expect_rc "list --post-review with a bad value" 2

jg_run alice request prod-db sql.write --break-glass --reason "me too"
expect_rc "break-glass by a non-member is refused" 2
expect_match "403 with the reason" "break-glass on rule 'prod-writes' is for group 'oncall', and alice is not in it" "$ERR"
jg_http POST /v1/requests alice '{"resource":"prod-db","action":"sql.write","reason":"x","break_glass":true}'
expect_problem "the API says forbidden" 403 forbidden

jg_run olga post-review "$BG" --comment "I reviewed myself"
expect_rc "the requester cannot post-review" 2
jg_run bob post-review "$BG" --comment "checked the outage fix"
expect_rc "a dba member post-reviews" 0
expect_match "post-review done" "; post-review done$" "$OUT"
jg_run auditor --json audit list --type request.post_reviewed --subject "$BG"
expect_match "request.post_reviewed audited with the comment" \
	'"actor":"bob".*"comment":"checked the outage fix"' "$OUT"
jg_run bob post-review "$BG"
expect_rc "only once" 2
jg_http GET "/v1/requests/$BG" bob
expect_match "nothing left to post-review (can_post_review)" '"can_post_review": *false' "$BODY"
jg_run bob list --post-review required
expect_no_match "no longer listed as required" "^$BG " "$OUT"
jg_run bob list --post-review done
expect_match "listed as done" "^$BG " "$OUT"

# An extension of a break-glass grant is break-glass again: within the
# break-glass maximum (15m) it is self-approved, alerted and owes a
# review; past it, the rule's reviewers decide (extensions.auto never
# lets it grow unreviewed).
jg_run olga --json show "$BG"
BGG=$(json_str grant_id "$OUT")
jg_run olga --json show "$BGG"
BGEXP=$(json_str expires_at "$OUT")
jg_run olga extend "$BGG" --duration 40m --reason "INC-7 still down"
expect_rc "extending break-glass past its maximum is filed" 0
expect_match "for review, not approved by extensions.auto" \
	"^req_[A-Za-z0-9]+ pending: needs 2 of dba; extends $BGG\$" "$OUT"
BGX=${OUT%% *}
jg_run olga --json show "$BGG"
expect_eq "the break-glass grant did not grow" "$BGEXP" "$(json_str expires_at "$OUT")"
jg_run olga cancel "$BGX"
jg_run olga extend "$BGG" --duration 4m --reason "INC-7 five more minutes"
expect_rc "within the break-glass maximum" 0
expect_match "extended at once" "^extended $BGG until " "$OUT"
jg_run auditor --json audit list --type alert.break_glass
expect_eq "the extension raised alert.break_glass too" 2 \
	"$(printf '%s' "$OUT" | grep -o '"type":"alert.break_glass"' | wc -l | tr -d ' ')"
jg_run bob --json list --post-review required
expect_match "and owes an after-the-fact review" '"extends":"'"$BGG"'"' "$OUT"

# --- reload ----------------------------------------------------------------

jg_run admin policy show
expect_rc "policy show" 0
SHA0=$(printf '%s' "$OUT" | sed -n 's/^sha256: //p')
expect_eq "the sha256 of the file in force" "$(sha256sum "$JG_TMP/policy.yaml" | cut -d' ' -f1)" "$SHA0"

write_policy "$JG_TMP/policy.yaml" "$STEPS2" "decision: auto"
SHA1=$(sha256sum "$JG_TMP/policy.yaml" | cut -d' ' -f1)
kill -HUP "$JG_PID"
for i in $(seq 1 50); do
	jg_run admin policy show
	[ "$OUT" = "sha256: $SHA1" ] && break
	sleep 0.1
done
expect_eq "SIGHUP: the new sha256 in force" "sha256: $SHA1" "$OUT"
jg_run auditor --json audit list --type policy.reloaded
expect_match "policy.reloaded audited with the new sha" "\"sha256\":\"$SHA1\"" "$OUT"
expect_match "and the previous one" "\"previous_sha256\":\"$SHA0\"" "$OUT"

jg_run bob show "$FLAGGED"
expect_match "a pending request keeps its steps" '^  step 1: 1 of dba, current$' "$OUT"
jg_run alice request flag-db sql.read --reason "after the reload"
expect_match "a new request gets the new steps" "pending: needs 1 of security$" "$OUT"

cp "$JG_TMP/policy.yaml" "$JG_TMP/good.yaml"
sed 's/^    max_duration: 1h$/    max_duraton: 1h/' "$JG_TMP/good.yaml" >"$JG_TMP/policy.yaml"
BADLINE=$(grep -n 'max_duraton' "$JG_TMP/policy.yaml" | cut -d: -f1)
jg_run admin policy reload
expect_rc "policy reload of an invalid file" 2
expect_match "names file:line" "$JG_TMP/policy.yaml:$BADLINE: " "$ERR"
jg_run alice policy reload
expect_rc "only admins reload" 2
jg_run admin policy show
expect_eq "the old policy stays in force" "sha256: $SHA1" "$OUT"
jg_run auditor --json audit list --type policy.reload_refused
expect_match "policy.reload_refused audited" "policy.yaml:$BADLINE: " "$OUT"
cp "$JG_TMP/good.yaml" "$JG_TMP/policy.yaml"
jg_run admin policy reload
expect_rc "policy reload of the same good file" 0
expect_eq "prints the sha256" "policy reloaded: sha256 $SHA1" "$OUT"

# --- extensions -------------------------------------------------------------

jg_run alice request prod-db sql.write --reason "INC-9 migrate" --duration 20m
REQ=${OUT%% *}
jg_run bob approve "$REQ"
jg_run carol approve "$REQ"
expect_match "approved by two dba" "^$REQ approved: .*; grant grt_" "$OUT"
GRANT=$(printf '%s' "$OUT" | sed -n 's/.*; grant \(grt_[A-Za-z0-9_-]*\).*/\1/p')
jg_run alice --json show "$GRANT"
EXP0=$(json_str expires_at "$OUT")

jg_run alice extend "$GRANT" --duration 10m --reason "migration slower than planned"
expect_rc "the first extension is automatic" 0
expect_match "same grant, new expiry" "^extended $GRANT until " "$OUT"
jg_run alice --json show "$GRANT"
EXP1=$(json_str expires_at "$OUT")
expect_eq "expires_at moved by 10m" 600 $(($(date -u -d "$EXP1" +%s) - $(date -u -d "$EXP0" +%s)))
expect_eq "one extension counted" 1 "$(json_num extensions "$OUT")"

jg_run alice extend "$GRANT" --duration 2h --reason "much longer"
expect_rc "beyond max_duration is refused" 2
expect_match "naming both durations" '2h[0-9m]* .*maximum 1h' "$ERR"
jg_http POST "/v1/grants/$GRANT/extend" alice '{"duration":"2h","reason":"x"}'
expect_problem "as a 400" 400 duration-too-long
jg_run bob extend "$GRANT" --duration 5m --reason "not mine"
expect_rc "extending someone else's grant" 2
jg_http POST "/v1/grants/$GRANT/extend" bob '{"duration":"5m","reason":"x"}'
expect_problem "is 404" 404 not-found

jg_run alice extend "$GRANT" --duration 10m --reason "one more step"
expect_rc "the second extension waits for review" 0
expect_match "a pending request naming the grant" "^req_[A-Za-z0-9]+ pending: needs 2 of dba; extends $GRANT\$" "$OUT"
EXT=${OUT%% *}
jg_run alice --json show "$EXT"
expect_eq "the request extends the grant" "$GRANT" "$(json_str extends "$OUT")"
jg_run alice --json show "$GRANT"
expect_eq "the grant is unchanged meanwhile" "$EXP1" "$(json_str expires_at "$OUT")"
jg_run bob approve "$EXT"
jg_run carol approve "$EXT"
jg_run alice --json show "$GRANT"
EXP2=$(json_str expires_at "$OUT")
expect_eq "approved: expires_at moved again" 600 $(($(date -u -d "$EXP2" +%s) - $(date -u -d "$EXP1" +%s)))

# --- replay ------------------------------------------------------------------

jg_run alice request staging-db sql.write --reason "another staging write"
STAGING_REQS="$STAGING_REQS ${OUT%% *}"
jg_run alice request staging-db sql.read --reason "and a read"
STAGING_REQS="$STAGING_REQS ${OUT%% *}"
NSTAGING=$(echo $STAGING_REQS | wc -w)

# Stricter: staging needs a dba now. Only the staging requests change.
write_policy "$JG_TMP/strict.yaml" "$STEPS2" "steps: [{group: dba, count: 1}]"
jg_run auditor policy replay "$JG_TMP/strict.yaml"
expect_rc "policy replay" 0
expect_match "the counts (the four extensions skipped)" "^replayed [0-9]+ requests: [0-9]+ same, $NSTAGING changed, 4 skipped$" "$OUT"
expect_match "a table of the changes" '^ID +REQUESTER +RESOURCE +ACTION +WAS +NOW +NOW RULE$' "$OUT"
GOT=$(printf '%s\n' "$OUT" | sed -n 's/^\(req_[A-Za-z0-9]*\) .*/\1/p' | sort | tr '\n' ' ')
WANT=$(printf '%s\n' $STAGING_REQS | sort | tr '\n' ' ')
expect_eq "exactly the staging requests changed" "$WANT" "$GOT"
expect_match "auto became review under staging-auto" \
	'^req_[A-Za-z0-9]+ +alice +staging-db +sql\.(read|write) +auto +review +staging-auto$' "$OUT"
jg_run auditor --json policy replay "$JG_TMP/good.yaml"
expect_match "the policy in force changes nothing" '"changed":0,' "$OUT"
jg_run auditor --json policy replay "$JG_TMP/strict.yaml" --since "$(date -u -d '+1 day' +%Y-%m-%d)"
expect_match "--since in the future: nothing to replay" '"total":0,' "$OUT"
jg_run alice policy replay "$JG_TMP/strict.yaml"
expect_rc "replay is for admins and auditors" 2
jg_run auditor policy replay "$JG_TMP/bad.yaml"
expect_rc "replay of a bad file" 2
expect_match "names the file and line" "^$JG_TMP/bad.yaml:6: " "$ERR"

jg_run auditor audit verify
expect_rc "the audit chain is intact" 0

jg_finish
