#!/usr/bin/env bash
# test_wal_shrink.sh - after a full disk is freed, the SQLite -wal gives
# its space back: the database on a 16 MB tmpfs, large requests until the
# disk is full and writes answer 503, the disk freed, one write: the -wal
# was truncated to nothing and holds that write's pages at most (before,
# it kept the megabytes the full disk had made it take). Needs a tmpfs mount (root); says so and passes when
# refused. SQLite only.
# backends: sqlite
. "$(dirname "$0")/lib.sh"

if [ "$JG_BACKEND" = postgres ]; then
	echo "# the -wal is SQLite's: nothing to test on PostgreSQL"
	JG_BAILED=1
	jg_finish
fi
SMALL=$(mktemp -d /tmp/jitgate-small.XXXXXX) || exit 2
if ! err=$(mount -t tmpfs -o size=16m,mode=0755 tmpfs "$SMALL" 2>&1); then
	rmdir "$SMALL"
	echo "# needs a tmpfs mount, refused here ($err): not run"
	JG_BAILED=1
	jg_finish
fi
trap 'jg_cleanup; umount "$SMALL" 2>/dev/null; rmdir "$SMALL" 2>/dev/null' EXIT
# the server (as --user, see lib.sh) makes its database there
[ -z "$JG_AS_USER" ] || chown "$JG_SERVE_USER" "$SMALL"
JG_DB_URL=$SMALL/j.db

jg_policy <<'EOF'
version: 1
resources:
  lab: {labels: {env: lab}, actions: [write]}
rules:
  - name: lab
    match: {resource: lab}
    steps: [{group: ops, count: 1}]
    max_duration: 1h
    request_ttl: 1h
groups:
  ops: {members: [bob]}
EOF
jg_start
jg_token alice
[ "$(stat -f -c %T "$SMALL")" = tmpfs ] || jg_bail "the database is on the small tmpfs"

# ~30 KiB of payload per request: the -wal grows past what it had
python3 -c 'import json; print(json.dumps({"resource":"lab","action":"write","reason":"INC-1 fill","payload":"x"*30000}))' >"$JG_TMP/big.json"
head -c 12M /dev/zero >"$SMALL/fill" 2>/dev/null
full=no
for i in $(seq 1 400); do
	jg_http POST /v1/requests alice "@$JG_TMP/big.json"
	if [ "$CODE" = 503 ]; then
		full=yes
		break
	fi
	[ "$CODE" = 201 ] || break
done
expect_eq "the disk fills: a write answers 503 (after $i requests)" yes "$full"
expect_problem "as store-unavailable" 503 store-unavailable
WAL_FULL=$(stat -c %s "$SMALL/j.db-wal")
echo "# -wal when the disk was full: $WAL_FULL bytes; $(df -h "$SMALL" | tail -n 1)"
expect_ne "the -wal holds space" 0 "$WAL_FULL"

rm -f "$SMALL/fill"
jg_run admin token create carol -q
expect_rc "space freed: a write succeeds again" 0
WAL_AFTER=$(stat -c %s "$SMALL/j.db-wal")
echo "# -wal after the first write that succeeded: $WAL_AFTER bytes"
# truncated to nothing by the first write that succeeded, which may be
# the sweeper's before the disk was freed (the log then holds only what
# came after): a few pages at most, where it held megabytes
expect_eq "the -wal was truncated (a few pages at most: <= 64 KiB)" yes \
	"$([ "$WAL_AFTER" -le 65536 ] && echo yes || echo "no: $WAL_AFTER bytes")"
jg_run alice --json request lab write --reason "INC-2 after"
expect_rc "writes go on" 0
jg_run admin audit verify
expect_match "the audit chain verifies" "OK" "$OUT"
jg_finish
