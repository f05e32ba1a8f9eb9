#!/usr/bin/env bash
# test_backup.sh - `jitgate backup` while the server writes, and the
# restore procedure of docs/operations.md end to end: two approved
# grants, a backup, one grant revoked after it, the server killed (its
# -wal left behind), the backup restored, the server started again: the
# grant revoked after the backup stays revoked, and so is the other (the
# restore revokes every grant active in the backup, saying why); the
# trail verifies. A backup behind the checkpoint sink is refused without
# --force. Also: a backup never replaces a file and is 0600, a
# restore under a running server is refused, PostgreSQL points to pg_dump.
. "$(dirname "$0")/lib.sh"

if [ "$JG_BACKEND" = postgres ]; then
	jg_run - backup --db "$JG_DB_URL" "$JG_TMP/never.db"
	expect_rc "backup of a PostgreSQL database: refused" 2
	expect_match "and points to pg_dump" "pg_dump" "$ERR"
	JG_BAILED=1
	jg_finish
fi

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.read, sql.write]}
rules:
  - name: writes
    match: {resource: prod-db}
    steps: [{group: dba, count: 1}]
    max_duration: 1h
EOF
# signed checkpoints of every event, the sink outside the database's dir
SINKDIR=$(mktemp -d /tmp/jitgate-sink.XXXXXX) || exit 2
trap 'jg_cleanup; rm -rf "$SINKDIR"' EXIT
# the server (as --user, see lib.sh) writes the sink there
[ -z "$JG_AS_USER" ] || chown "$JG_SERVE_USER" "$SINKDIR"
CKPT=(--checkpoint-key "$JG_TMP/ckpt.pem" --checkpoint-sink "$SINKDIR/sink.ndjson")
JG_SERVE_ARGS="${CKPT[*]} --checkpoint-every 1"
jg_start
JG_SERVE_ARGS=
jg_token alice
jg_token bob
jg_token enforcer --role checker

grant_for() { # ACTION -> the grant of alice's request, approved by bob
	local req
	jg_run alice --json request prod-db "$1" --reason "INC-9 $1"
	req=$(json_str id "$OUT")
	jg_run bob --json approve "$req" --comment ok
	jg_run alice --json show "$req"
	json_str grant_id "$OUT"
}
GRANT_A=$(grant_for sql.write)
GRANT_B=$(grant_for sql.read)
expect_match "grant A (sql.write) approved" '^grt_' "$GRANT_A"
expect_match "grant B (sql.read) approved" '^grt_' "$GRANT_B"

# --- backup --------------------------------------------------------------

BK=$JG_TMP/backup.db
jg_run - backup --db "$JG_TMP/j.db" "$BK"
expect_rc "backup while the server runs" 0
expect_match "backup says where and how far" "^jitgate: backed up .* to $BK at .* \\(audit trail up to event [0-9]+\\)$" "$OUT"
BK_SEQ=$(printf '%s' "$OUT" | sed -n 's/.*up to event \([0-9]*\)).*/\1/p')
expect_eq "the backup is mode 0600" 600 "$(stat -c %a "$BK")"
expect_eq "the backup is one file (no -wal beside it)" no "$([ -e "$BK-wal" ] && echo yes || echo no)"
expect_eq "the backup is whole" ok "$(sqlite3 "$BK" 'PRAGMA integrity_check')"
SUM=$(sha256sum "$BK")
jg_run - backup --db "$JG_TMP/j.db" "$BK"
expect_rc "a second backup to the same file: refused" 2
expect_match "saying it never replaces a file" "never replaces a file" "$ERR"
expect_eq "the first backup is untouched" "$SUM" "$(sha256sum "$BK")"
jg_run - backup --db "postgres://127.0.0.1/jitgate" "$JG_TMP/pg.db"
expect_rc "backup of a PostgreSQL URL: refused" 2
expect_match "and points to pg_dump" "pg_dump" "$ERR"

# --- after the backup: A revoked -------------------------------------

jg_run alice revoke "$GRANT_A" --reason "done early"
expect_rc "A revoked after the backup" 0
jg_run enforcer check alice prod-db sql.write
expect_rc "A denied before the restore" 1
jg_run enforcer check alice prod-db sql.read
expect_rc "B allowed before the restore" 0

jg_run - restore --db "$JG_TMP/j.db" "$BK"
expect_rc "restore under a running server: refused" 2
expect_match "saying to stop it" "in use: stop the server first" "$ERR"
jg_http GET /healthz -
expect_eq "the server still runs" 200 "$CODE"

# a crash, not a clean stop: the -wal holding the revoke stays behind
kill -KILL "$JG_PID"
wait "$JG_PID" 2>/dev/null
JG_PID=
expect_eq "the killed server left its -wal" yes "$([ -e "$JG_TMP/j.db-wal" ] && echo yes || echo no)"

# --- restore ---------------------------------------------------------

# the sink signed events the backup does not have (the revoke of A)
for i in $(seq 1 100); do
	last=$(tail -n 1 "$SINKDIR/sink.ndjson" 2>/dev/null | grep -o '"seq":[0-9]*' | cut -d: -f2)
	[ "${last:-0}" -gt "$BK_SEQ" ] && break
	sleep 0.1
done
expect_eq "the sink signed past the backup (event $BK_SEQ)" yes "$([ "${last:-0}" -gt "$BK_SEQ" ] && echo yes || echo no)"
jg_run - restore --db "$JG_TMP/j.db" "${CKPT[@]}" "$BK"
expect_rc "restore of a backup behind the checkpoint sink: refused" 2
expect_match "saying what would be lost" "backup's trail ends at event $BK_SEQ but .* signed event [0-9]+: .*--force" "$ERR"
expect_eq "and the database stays in place" yes "$([ -e "$JG_TMP/j.db" ] && echo yes || echo no)"

jg_run - restore --db "$JG_TMP/j.db" "$JG_TMP/nosuch.db"
expect_rc "restore from a file that is no backup: refused" 2
expect_match "saying so" "not a whole jitgate backup" "$ERR"
expect_eq "and the database stays in place" yes "$([ -e "$JG_TMP/j.db" ] && echo yes || echo no)"
jg_run - restore --db "$JG_TMP/j.db" "${CKPT[@]}" --force "$BK"
expect_rc "restore with the server stopped (--force: the sink moves aside)" 0
expect_match "restore says from what" "restored .*j.db from $BK, taken at" "$OUT"
expect_match "and that it revoked the two grants" "2 grants active in the backup revoked" "$OUT"
expect_eq "the restored database is mode 0600" 600 "$(stat -c %a "$JG_TMP/j.db")"
expect_eq "no -wal of the replaced database is left" no "$([ -e "$JG_TMP/j.db-wal" ] && echo yes || echo no)"
ASIDE=$(ls "$JG_TMP"/j.db.replaced-* 2>/dev/null | head -n 1)
expect_match "the replaced database is kept aside" "j.db.replaced-" "$ASIDE"
expect_eq "and still records the revoke of A" revoked \
	"$(sqlite3 "$ASIDE" "SELECT state FROM grants WHERE id = '$GRANT_A'")"

mv "$SINKDIR/sink.ndjson" "$SINKDIR/sink.before-restore"
jg_start
jg_run enforcer check alice prod-db sql.write
expect_rc "A, revoked after the backup, stays revoked after the restore" 1
jg_run enforcer check alice prod-db sql.read
expect_rc "B is denied too (every grant of the backup is revoked)" 1
jg_run alice show "$GRANT_B"
expect_match "B's reason names the backup" "restored from a backup taken at [0-9T:-]+Z: re-request" "$OUT"
jg_run admin --json audit list --type grant.revoked --subject "$GRANT_A"
expect_match "A's revocation by the restore is audited (actor jitgate)" \
	'"actor":"jitgate".*"reason":"restored from a backup taken at' "$OUT"
jg_run admin audit verify
expect_match "the audit chain verifies after the restore" "OK" "$OUT"

# B's holder re-requests and works again
GRANT_C=$(grant_for sql.read)
jg_run enforcer check alice prod-db sql.read
expect_rc "a new request after the restore works" 0

# the usual reason for a restore: a damaged database
jg_stop
head -c 65536 /dev/urandom >"$JG_TMP/j.db"
rm -f "$JG_TMP/j.db-wal" "$JG_TMP/j.db-shm"
rm -f "$JG_TMP"/j.db.replaced-*
jg_run - restore --db "$JG_TMP/j.db" "$BK"
expect_rc "restore over a damaged database" 0
expect_match "which is kept aside" "replaced database is kept as .*j.db.replaced-" "$OUT"
jg_start
jg_run admin audit verify
expect_match "and the restored trail verifies" "OK" "$OUT"
jg_finish
