#!/usr/bin/env bash
# test_token_dormant.sh - a token used again after months unused, through
# the real daemon and CLI: the server runs under libfaketime (jg_faketime)
# and its clock moves on 50, then 100 days. The token unused for 100 days
# is audited (token.reactivated, its id and never its secret) and raises a
# high token_dormant alert; one used 50 days before raises nothing. A use
# whose event cannot be recorded (a trigger refuses it) is refused with
# 503, and works once the trail takes it again (a trigger on either backend).
# backends: sqlite postgres
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF2'
version: 1
resources:
  lab: {actions: [read]}
rules:
  - name: lab
    match: {resource: lab}
    decision: auto
    max_duration: 1h
EOF2
SKEW=$JG_TMP/faketime
jg_faketime "$SKEW"
jg_start
jg_token bob
jg_token carol
jg_token dave
jg_run bob whoami
expect_rc "bob's token works" 0

echo "+50d" >"$SKEW"
jg_run carol whoami
expect_rc "50 days on, carol's (never used) token works" 0
jg_run admin whoami
expect_rc "and the admin's" 0

echo "+100d" >"$SKEW"
jg_run bob whoami
expect_rc "100 days on, bob's token works" 0
jg_run carol whoami
expect_rc "carol's too (last used 50 days ago)" 0
jg_wait_alert "token_dormant" || not_ok "a token_dormant alert" "one" "$OUT"
jg_run admin --json token list
BOB_ID=$(printf '%s' "$OUT" | tr '{' '\n' | grep '"principal": *"bob"' | grep -o 'tok_[A-Za-z0-9]*' | head -n 1)
jg_run admin alerts
expect_match "the alert names bob's token, high" "high +token_dormant +$BOB_ID" "$OUT"
expect_eq "one alert only" 1 "$(printf '%s\n' "$OUT" | grep -c token_dormant)"
jg_run admin audit list --type token.reactivated
expect_eq "one token.reactivated event" 1 "$(printf '%s\n' "$OUT" | grep -c token.reactivated)"
expect_match "for bob's token" "token.reactivated +$BOB_ID" "$OUT"
jg_run admin audit export -o "$JG_TMP/export.ndjson"
expect_rc "the trail exports" 0
if grep -qF "$(cat "$JG_TMP/tok.bob")" "$JG_TMP/export.ndjson"; then
	not_ok "bob's secret is nowhere in the trail" "absent" "present"
else
	ok "bob's secret is nowhere in the trail"
fi
expect_match "the event says 100 days" '"idle_days": *100' \
	"$(grep token.reactivated "$JG_TMP/export.ndjson")"

# dave's token (made 100 days ago, never used) cannot be audited: refused
if [ "$JG_BACKEND" = postgres ]; then
	jg_sql "CREATE FUNCTION no_reactivation() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'refused'; END \$\$"
	jg_sql "CREATE TRIGGER no_reactivation BEFORE INSERT ON audit FOR EACH ROW WHEN (NEW.type = 'token.reactivated') EXECUTE FUNCTION no_reactivation()"
else
	jg_sql "CREATE TRIGGER no_reactivation BEFORE INSERT ON audit WHEN NEW.type = 'token.reactivated' BEGIN SELECT RAISE(ABORT, 'refused'); END"
fi
jg_http GET /v1/whoami dave
expect_problem "a use that cannot be audited is refused" 503 store-unavailable
expect_match "the log says why" "cannot be audited" "$(cat "$JG_TMP/server.log")"
if [ "$JG_BACKEND" = postgres ]; then
	jg_sql "DROP TRIGGER no_reactivation ON audit"
else
	jg_sql "DROP TRIGGER no_reactivation"
fi
jg_http GET /v1/whoami dave
expect_eq "once the trail takes it, dave's token works" 200 "$CODE"
jg_run admin audit list --type token.reactivated
expect_eq "and its use is audited" 2 "$(printf '%s\n' "$OUT" | grep -c token.reactivated)"

jg_finish
