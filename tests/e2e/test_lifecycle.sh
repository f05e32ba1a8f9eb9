#!/usr/bin/env bash
# test_lifecycle.sh - the whole story through the real daemon and CLI:
# tokens, a two-level approval, a grant checked and revoked, an automatic
# approval that expires, `request --wait` ending each way, and the audit
# chain verified, then tampered with and caught.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob, carol]}
  security: {members: [dave]}
resources:
  prod-db: {labels: {env: prod}, sensitivity: high, actions: [sql.read, sql.write]}
  staging-db: {labels: {env: staging}, actions: [sql.read, sql.write]}
  ops-db: {labels: {env: ops}, actions: [sql.read, sql.write]}
  lab-db: {labels: {env: lab}, actions: [sql.read]}
rules:
  - name: prod-writes
    match: {labels: {env: prod}, action: "sql.write"}
    steps: [{group: dba, count: 2}, {group: security, count: 1}]
    max_duration: 30m
    request_ttl: 1h
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
    max_duration: 1h
  - name: ops-one
    match: {labels: {env: ops}}
    steps: [{group: dba, count: 1}]
    max_duration: 1h
    request_ttl: 1h
  - name: lab-short
    match: {labels: {env: lab}}
    steps: [{group: dba, count: 1}]
    max_duration: 1h
    request_ttl: 2s
EOF
jg_start

# --- tokens ------------------------------------------------------------

jg_run admin token create alice --group dba --description "alice's laptop"
expect_rc "admin creates a token" 0
expect_match "the token is printed" '^jg_' "$(grep '^jg_' "$JG_TMP/out")"
expect_match "with a shown-once warning" 'only once' "$ERR"
jg_save_token alice "$(grep '^jg_' "$JG_TMP/out")"
jg_token bob --group dba
jg_token carol --group dba
jg_token dave --group security
jg_token enforcer --service --role checker --description "nginx auth_request"
jg_token auditor --role auditor

jg_run alice whoami
expect_rc "whoami" 0
expect_match "whoami names alice" 'alice' "$OUT"
expect_match "whoami lists her groups" 'dba' "$OUT"

jg_run admin --json token list
expect_rc "token list" 0
expect_eq "token list has admin + 6" 7 "$(count_ids tok_ "$OUT")"
expect_no_match "token list shows no secret" 'jg_' "$OUT"

# --- two-level approval, grant, check, revoke ---------------------------

PAYLOAD="UPDATE accounts SET locked = false WHERE id = 42"
jg_run alice request prod-db sql.write --reason "INC-42 unlock account" \
	--ticket INC-42 --payload "$PAYLOAD" --duration 20m
expect_rc "alice requests prod-db sql.write" 0
expect_match "it waits for 2 of dba, then 1 of security" \
	'^req_[A-Za-z0-9]+ pending: needs 2 of dba, then 1 of security$' "$OUT"
REQ=${OUT%% *}

jg_run alice show "$REQ"
expect_match "show has the payload in full" "$PAYLOAD" "$OUT"
expect_match "show has the reason" 'INC-42 unlock account' "$OUT"

jg_run bob approve "$REQ" --comment "checked the row"
expect_rc "bob approves" 0
expect_match "still pending, one more dba" "^$REQ pending: needs 1 more of dba" "$OUT"

jg_run carol approve "$REQ"
expect_rc "carol approves" 0
expect_match "step 0 done, security next" "^$REQ pending: needs 1 of security$" "$OUT"
jg_run alice --json show "$REQ"
expect_eq "current_step is 1" 1 "$(json_num current_step "$OUT")"

jg_run enforcer check alice prod-db sql.write
expect_rc "check denies while pending" 1

jg_run dave approve "$REQ" --comment ok
expect_rc "dave approves" 0
expect_match "approved with a grant" "^$REQ approved.*grant grt_" "$OUT"
GRANT=$(printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9]*' | head -n 1)

# the grant binds the payload: a bare check is denied, saying why
jg_run enforcer check alice prod-db sql.write
expect_rc "a bare check of a payload-bound grant denies" 1
expect_match "saying the check must name the payload" \
	"^deny: grant $GRANT is bound to one payload .*payload_sha256" "$OUT"
jg_run enforcer check alice prod-db sql.write --payload "DROP TABLE accounts"
expect_rc "another payload is denied" 1
expect_match "as another payload" 'bound to another payload' "$OUT"
jg_run enforcer check alice prod-db sql.write --payload "$PAYLOAD"
expect_rc "check allows the approved payload" 0
expect_match "check names the grant and its one use" \
	"^allow $GRANT until [0-9]{4}-.* \\(1 use left\\)$" "$OUT"
jg_run alice --json show "$REQ"
SHA=$(json_str payload_sha256 "$OUT")
jg_run alice --json check alice prod-db sql.write --payload-sha256 "$SHA"
expect_rc "alice may check herself, by the bound hash" 0
expect_eq "the answer names the bound hash" "$SHA" "$(json_str payload_sha256 "$OUT")"
expect_eq "and the uses left" 1 "$(json_num uses_left "$OUT")"
jg_run enforcer check alice prod-db sql.write --payload-sha256 "${SHA%?}"
expect_rc "a malformed hash is a usage error" 2
jg_run enforcer check alice prod-db sql.read --payload "$PAYLOAD"
expect_rc "the grant covers only its action" 1

jg_run alice show "$REQ"
expect_match "show lists the three reviews" 'bob approve.*' "$OUT"
expect_match "show lists dave's review" 'dave approve' "$OUT"
jg_run alice show "$GRANT"
expect_match "the grant is active" 'state: +active' "$OUT"
jg_run admin grants --principal alice
expect_match "grants lists it" "^$GRANT +active +alice +prod-db +sql.write" "$OUT"
# approvers see the grants of the requests they approve (as they may
# revoke them); a principal filter narrows that, it never widens it
jg_run bob grants
expect_match "bob (dba) lists the grant he approved" "^$GRANT +active +alice" "$OUT"
jg_run dave grants --principal alice
expect_match "dave (security) too, by its holder" "^$GRANT +active +alice" "$OUT"
jg_http GET "/v1/grants" enforcer
expect_eq "a caller in no step's group lists none" 200 "$CODE"
expect_no_match "so not alice's grant" "$GRANT" "$BODY"

jg_run bob revoke "$GRANT" --reason "work is over"
expect_rc "bob revokes the grant" 0
expect_eq "revoke prints the new state" "$GRANT revoked" "$OUT"
jg_run enforcer check alice prod-db sql.write --payload "$PAYLOAD"
expect_rc "check denies at once after revoke" 1
expect_match "deny with a reason" '^deny: .+' "$OUT"
jg_run alice done "$GRANT"
expect_rc "a revoked grant cannot be completed" 2

# --- automatic approval, expiry at check time ---------------------------

jg_run alice request staging-db sql.write --reason "load fixtures" --duration 2s
expect_rc "staging request" 0
expect_match "approved at once" '^req_[A-Za-z0-9]+ approved.*grant grt_' "$OUT"
GRANT2=$(printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9]*' | head -n 1)
jg_run enforcer check alice staging-db sql.write
expect_rc "check allows the auto grant" 0
sleep 3
jg_run enforcer check alice staging-db sql.write
expect_rc "check denies once expired" 1
jg_run alice --json show "$GRANT2"
expect_eq "the grant reads expired" expired "$(json_str state "$OUT")"

# an enforcement point that runs the action itself takes the one use
jg_run alice request staging-db sql.write --reason "fix one row" \
	--payload "UPDATE t SET x = 1 WHERE id = 9"
expect_match "a bound staging write is approved at once" '^req_[A-Za-z0-9]+ approved' "$OUT"
jg_run enforcer check alice staging-db sql.write \
	--payload "UPDATE t SET x = 1 WHERE id = 9" --consume
expect_rc "a consuming check allows once" 0
expect_match "and says it took the last use" '\(used one, 0 uses left\)$' "$OUT"
jg_run enforcer check alice staging-db sql.write \
	--payload "UPDATE t SET x = 1 WHERE id = 9" --consume
expect_rc "a second consuming check denies" 1
jg_run enforcer check alice staging-db sql.write \
	--payload "UPDATE t SET x = 1 WHERE id = 9"
expect_rc "so does a plain one: the grant is used up" 1
jg_run admin --json audit list --type grant.consumed
expect_match "the use is audited, by the enforcement point" '"actor": *"enforcer"' "$OUT"
expect_match "from where it asked (its address: the check names none)" '"source": *"127.0.0.1"' "$OUT"

jg_run alice request staging-db sql.read --reason "look around" -q
expect_rc "-q request" 0
expect_match "-q prints only the id" '^req_[A-Za-z0-9]+$' "$OUT"
jg_run alice --json grants --principal alice --state active
GRANT3=$(json_str id "$OUT")
jg_run alice done "$GRANT3"
expect_rc "alice says done" 0
expect_eq "done completes the grant" "$GRANT3 completed" "$OUT"

# --- request --wait ------------------------------------------------------

jg_run_bg approve alice request ops-db sql.write --reason "wait: approve" \
	--wait --timeout 30s -q
W1=$BG_PID
jg_wait_file "$JG_TMP/bg.approve.out" || not_ok "wait prints the id" "an id" "nothing"
ID=$(head -n 1 "$JG_TMP/bg.approve.out")
jg_run bob approve "$ID"
wait "$W1"
RC=$?
expect_rc "--wait exits 0 when approved" 0
expect_match "--wait reported the approval" 'approved' "$(cat "$JG_TMP/bg.approve.err")"

jg_run_bg deny alice request ops-db sql.write --reason "wait: deny" --wait --timeout 30s -q
W2=$BG_PID
jg_wait_file "$JG_TMP/bg.deny.out"
ID=$(head -n 1 "$JG_TMP/bg.deny.out")
jg_run carol deny "$ID" --comment "not today"
expect_match "deny prints denied" "^$ID denied" "$OUT"
wait "$W2"
RC=$?
expect_rc "--wait exits 1 when denied" 1

jg_run_bg cancel alice request ops-db sql.write --reason "wait: cancel" --wait --timeout 30s -q
W3=$BG_PID
jg_wait_file "$JG_TMP/bg.cancel.out"
ID=$(head -n 1 "$JG_TMP/bg.cancel.out")
jg_run alice cancel "$ID" --reason "changed my mind"
expect_rc "alice cancels" 0
wait "$W3"
RC=$?
expect_rc "--wait exits 3 when cancelled" 3

jg_run alice request lab-db sql.read --reason "wait: expire" --wait --timeout 20s
expect_rc "--wait exits 3 when the request expires undecided" 3

jg_run alice request ops-db sql.read --reason "wait: timeout" --wait --timeout 2s
expect_rc "--wait exits 2 on its own timeout" 2
expect_match "and says it timed out" 'timed out' "$ERR"

# --- listing ---------------------------------------------------------------

jg_run admin list --state pending
expect_rc "list" 0
expect_match "list has a header" '^ID +STATE +REQUESTER +RESOURCE +ACTION +STEP +CREATED' "$OUT"
expect_match "list shows the pending request" 'pending +alice +ops-db +sql.read' "$OUT"
jg_run admin list --limit 1
expect_match "a short page announces the next cursor" "^next page: --cursor ." "$ERR"

# --- audit -------------------------------------------------------------------

jg_run auditor audit verify
expect_rc "audit verify" 0
expect_match "audit is intact" '^audit: OK, [0-9]+ events$' "$OUT"
N=$(printf '%s' "$OUT" | sed -n 's/^audit: OK, \([0-9]*\) events$/\1/p')
jg_run auditor audit list --type grant.issued --limit 500
expect_match "audit list has the grant issue" "grant.issued +$GRANT" "$OUT"
jg_run auditor audit export -o "$JG_TMP/export.ndjson"
expect_rc "audit export" 0
LINES=$(grep -c '^{' "$JG_TMP/export.ndjson")
if [ "$LINES" -ge "$N" ]; then ok "export has every event ($LINES >= $N)"; else not_ok "export has every event" ">= $N lines" "$LINES"; fi
jg_run alice audit verify
expect_rc "a requester may not read the audit trail" 2

jg_sql "UPDATE audit SET details='{\"x\":1}' WHERE seq=3" ||
	not_ok "tamper with the audit table" "the SQL to succeed" "it failed"
jg_run auditor audit verify
expect_rc "audit verify catches the edit" 1
expect_match "and names seq 3" '^audit: BROKEN at seq 3: ' "$OUT"

jg_finish
