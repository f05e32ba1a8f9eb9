#!/usr/bin/env bash
# test_clock.sh - the clock only moves forward: a server whose wall clock
# steps back (NTP, a VM restored from a snapshot) never revives a grant it
# has already judged expired. The server runs under libfaketime (Debian's
# faketime, installed by scripts/deps), its offset read from a file on
# every call to the clock; the sweeper is held off (--sweep-interval 1h)
# so that nothing but the decision clock stands between a step back and a
# revived grant. Under valgrind the server runs without it (libfaketime
# and memcheck both intercept the clock), as the point here is the clock.
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
JG_SERVE_ARGS="--sweep-interval 1h"
jg_start
jg_token alice

jg_run alice --json request lab read --reason "look" --duration 1m
GRANT=$(json_str grant_id "$OUT")
expect_match "alice holds a one-minute grant" '^grt_' "$GRANT"
jg_run alice check alice lab read
expect_rc "it allows while live" 0

echo "+2m" >"$SKEW" # the server's clock moves two minutes on
jg_run alice check alice lab read
expect_rc "two minutes on, it has expired" 1
jg_http GET "/v1/grants/$GRANT/token" alice
expect_problem "and no token is issued for it" 409 conflict

echo "+0" >"$SKEW" # the wall clock steps back two minutes
jg_run alice check alice lab read
expect_rc "stepped back, the grant stays expired" 1
jg_http GET "/v1/grants/$GRANT/token" alice
expect_problem "and still no token" 409 conflict
jg_run alice --json show "$GRANT"
expect_eq "the API judges it expired" expired "$(json_str state "$OUT")"

# time stands still until the wall clock catches up: a new grant made
# now lives its full minute from the latest time the server used
jg_run alice --json request lab read --reason "again" --duration 1m
G2=$(json_str grant_id "$OUT")
jg_run alice check alice lab read
expect_rc "a new grant is live" 0
echo "+210" >"$SKEW" # 3.5 minutes: past the new grant's end
jg_run alice check alice lab read
expect_rc "and ends a minute after the latest time used" 1
expect_match "naming the new grant's end" 'no longer live|no active grant' "$OUT"
jg_run alice --json show "$G2"
expect_eq "it expired" expired "$(json_str state "$OUT")"

jg_finish
