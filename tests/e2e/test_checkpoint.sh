#!/usr/bin/env bash
# test_checkpoint.sh - tamper evidence that survives write access to the
# database (SQLite): a server that sees its audit trail cut short while it
# runs stops allowing (a revocation recorded after the cut used to be lost
# until restart), and signed checkpoints in a sink outside the database
# let `audit verify --checkpoints` catch, offline, a trail cut short or
# edited behind the server's back, naming the first bad seq.
. "$(dirname "$0")/lib.sh"

if [ "$JG_BACKEND" != sqlite ]; then
	echo "# tampering with the sqlite3 CLI: SQLite only"
	jg_finish
fi

jg_policy <<'EOF2'
version: 1
groups:
  dba: {members: [alice, bob]}
resources:
  staging-db: {labels: {env: staging}, actions: [sql.read, sql.write]}
rules:
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
    max_duration: 1h
EOF2

last_seq() { # DB
	sqlite3 -cmd ".timeout 5000" "$1" "SELECT max(seq) FROM audit"
}

# --- the trail cut short under a running server -------------------------

jg_start
jg_token alice --group dba
jg_token bob --group dba
jg_token enforcer --service --role checker
for who in alice bob alice bob; do
	jg_run "$who" request staging-db sql.read --reason "nightly report" --duration 30m
	expect_rc "$who gets an automatic grant" 0
done
jg_run alice request staging-db sql.write --reason "fix a row" --duration 30m
GRANT=$(printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9]*')
jg_run enforcer check alice staging-db sql.write
expect_rc "alice's sql.write grant is allowed" 0

# cut the last events (the grant's own among them) behind the server's back
N=$(last_seq "$JG_TMP/j.db")
jg_sql "DELETE FROM audit WHERE seq > $((N - 3))"
# the revocation's event now takes a seq this server had already applied
jg_run admin revoke "$GRANT" --reason "wrong ticket"
expect_rc "admin revokes the grant" 0
jg_run enforcer check alice staging-db sql.write
expect_rc "the revoked grant is not allowed after the cut" 1
expect_match "check says the trail went backwards" \
	'audit trail went backwards' "$OUT"
jg_run enforcer check bob staging-db sql.read
expect_rc "nothing else is allowed either until restart" 1
expect_match "the server log says so loudly" 'ALERT: the audit trail went backwards' \
	"$(cat "$JG_TMP/server.log")"
# the token cache no longer hears of revocations: halted, it is not used
jg_run admin --json token list
BOB_TOK=$(printf '%s' "$OUT" | tr '{' '\n' | grep '"principal": *"bob"' | grep -o 'tok_[A-Za-z0-9]*' | head -n 1)
jg_run admin token revoke "$BOB_TOK"
expect_rc "admin revokes bob's token" 0
jg_run bob whoami
expect_rc "bob's revoked token no longer works on the halted server" 2
jg_stop

# a restart rebuilds the index from the grants themselves
jg_start
jg_run enforcer check alice staging-db sql.write
expect_rc "after restart the revoked grant stays denied" 1
jg_run enforcer check bob staging-db sql.read
expect_rc "after restart bob's live grant is allowed again" 0

# the other order: a grant revoked, then its revocation cut from the trail
jg_run alice request staging-db sql.write --reason "another row" --duration 30m
GRANT=$(printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9]*')
jg_run admin revoke "$GRANT" --reason "done early"
N=$(last_seq "$JG_TMP/j.db")
jg_sql "DELETE FROM audit WHERE seq = $N"
for i in $(seq 1 100); do # the next sync step (100 ms) notices
	grep -q 'ALERT' "$JG_TMP/server.log" && break
	sleep 0.1
done
jg_run enforcer check alice staging-db sql.write
expect_rc "a grant whose revocation was cut from the trail stays denied" 1
expect_match "and check says the trail went backwards" \
	"audit trail went backwards: event $N, already applied, is gone" "$OUT"
jg_stop

# --- signed checkpoints ---------------------------------------------------

SINKDIR=$(mktemp -d "${TMPDIR:-/tmp}/jitgate-sink.XXXXXX") || exit 2
trap 'rm -rf "$SINKDIR"; jg_cleanup' EXIT
SINK=$SINKDIR/checkpoints.ndjson
KEY=$SINKDIR/keys/checkpoint.pem
mkdir -m 700 "$SINKDIR/keys"
mkdir "$JG_TMP/b"
# the server (as --user, see lib.sh) makes the key and the sink there
[ -z "$JG_AS_USER" ] || chown -R "$JG_SERVE_USER" "$SINKDIR" "$JG_TMP/b"
DB=$JG_TMP/b/j.db # its directory is $JG_TMP/b

jg_run - serve --listen "127.0.0.1:$(jg_random_port)" --db "$DB" \
	--policy "$JG_TMP/policy.yaml" --checkpoint-key "$KEY" \
	--checkpoint-sink "$JG_TMP/b/sink" $JG_AS_USER
expect_rc "a sink in the database's directory is refused" 2
expect_match "saying why" "inside the database's directory" "$ERR"
expect_eq "nothing was made: no sink, no key, no database" no \
	"$( (ls "$JG_TMP/b"; ls "$SINKDIR/keys") | grep -q . && echo yes || echo no)"

JG_DB_URL=$DB
rm -f "$JG_TMP/admin.token" # the new database mints its own
JG_SERVE_ARGS="--checkpoint-key $KEY --checkpoint-sink $SINK --checkpoint-every 4 --checkpoint-interval 1"
jg_start
jg_token alice --group dba
for i in 1 2 3 4 5; do
	jg_run alice request staging-db sql.read --reason "report $i" --duration 30m
done
N=$(last_seq "$DB")
# the signer runs every second: wait for the head to be signed
for i in $(seq 1 100); do
	grep -q "\"seq\":$N," "$SINK" 2>/dev/null && break
	sleep 0.1
done
expect_match "the head (seq $N) is signed into the sink" "\"seq\":$N,\"hash\":\"[0-9a-f]{64}\"" "$(cat "$SINK")"
expect_eq "the key is private" 600 "$(stat -c %a "$KEY")"
expect_match "its public half is beside it" 'BEGIN PUBLIC KEY' "$(cat "$KEY.pub")"
expect_no_match "the sink holds no private key" 'PRIVATE' "$(cat "$SINK")"

jg_run admin audit verify --checkpoints "$SINK" --public-key "$KEY.pub"
expect_rc "the trail matches its checkpoints" 0
expect_match "verify says how many" "OK, $N events, [0-9]+ signed checkpoints" "$OUT"
jg_run admin audit export -o "$JG_TMP/export.ndjson"
jg_run - audit verify --checkpoints "$SINK" --public-key "$KEY.pub" -i "$JG_TMP/export.ndjson"
expect_rc "an export verifies offline, with no server" 0
jg_run admin --json audit verify
expect_match "the API verify checks the store's checkpoints" '"checkpoints": *[1-9]' "$OUT"
jg_stop

# tampering offline: cut the tail (a consistent chain, only shorter)
cp "$DB" "$JG_TMP/b/good.db"
$JG_AS_OWNER sqlite3 "$DB" "DELETE FROM audit WHERE seq > $((N - 2)); DELETE FROM checkpoints"
jg_run - audit verify --checkpoints "$SINK" --public-key "$KEY.pub" -i "$JG_TMP/export.ndjson"
expect_rc "the untouched export still verifies" 0
jg_start
jg_run admin audit verify
expect_rc "the plain chain walk sees nothing wrong" 0
# the restart appended its server.started event where the cut is
C=$(last_seq "$DB")
S=$(grep -o '"seq":[0-9]*' "$SINK" | cut -d: -f2 | sort -n | tail -n 1)
jg_run admin audit verify --checkpoints "$SINK" --public-key "$KEY.pub"
expect_rc "verify against the sink catches the cut" 1
expect_match "naming the first seq proven missing" \
	"BROKEN at seq $((C + 1)): the trail ends at seq $C but seq $S was signed" "$OUT"
jg_run enforcer check alice staging-db sql.read
jg_run alice check alice staging-db sql.read
expect_rc "a server started on a trail behind its sink allows nothing" 1
expect_match "and says why" 'audit trail went backwards' "$OUT"
jg_stop

# tampering offline: edit one event in the middle
cp "$JG_TMP/b/good.db" "$DB"
$JG_AS_OWNER sqlite3 "$DB" "UPDATE audit SET actor = 'mallory' WHERE seq = 3"
jg_start
jg_run admin audit export -o "$JG_TMP/edited.ndjson"
jg_run - audit verify --checkpoints "$SINK" --public-key "$KEY.pub" -i "$JG_TMP/edited.ndjson"
expect_rc "an edited event is caught" 1
expect_match "naming it" 'BROKEN at seq 3: hash mismatch' "$OUT"
jg_run admin audit verify
expect_rc "the API verify catches it too" 1
jg_stop

# a forged sink line is refused, not trusted
sed 's/"seq":\([0-9]*\),/"seq":1\1,/' "$SINK" | head -n 1 >"$JG_TMP/forged"
jg_run - audit verify --checkpoints "$JG_TMP/forged" --public-key "$KEY.pub" -i "$JG_TMP/export.ndjson"
expect_rc "a checkpoint whose signature does not match is an error" 2
expect_match "naming its line" 'line 1: the signature of seq' "$ERR"

jg_finish
