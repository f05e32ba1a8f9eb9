#!/usr/bin/env bash
# test_grant_token.sh - signed grant tokens through the real daemon and
# CLI: the holder fetches a JWT for a live grant (nobody else may), the
# JWKS is public, `jitgate token verify` checks the token offline against
# it (and Node's own crypto agrees, when node is installed), tampered and
# alg-none tokens are refused, /v1/check with the token allows and then,
# after a revoke, says the grant was revoked; a key rotation keeps old
# tokens verifiable, key files are private and keys survive a restart.
. "$(dirname "$0")/lib.sh"

jg_policy <<'EOF'
version: 1
groups:
  dba: {members: [bob]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.read, sql.write]}
rules:
  - name: reads
    match: {resource: prod-db, action: sql.read}
    decision: auto
    max_duration: 1h
  - name: writes
    match: {resource: prod-db, action: sql.write}
    steps: [{group: dba, count: 1}]
    max_duration: 2m
EOF
jg_start
jg_token alice
jg_token bob
jg_token pep --role checker

# base64url to bytes (the padding put back for base64 -d)
b64url_decode() {
	local s
	s=$(printf '%s' "$1" | tr '_-' '/+')
	case $((${#s} % 4)) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s' "$s" | base64 -d 2>/dev/null
}
b64url_encode() {
	base64 -w0 | tr '/+' '_-' | tr -d '='
}
part() { # N TOKEN
	printf '%s' "$2" | cut -d. -f"$1"
}
grant_of() { # RESOURCE ACTION -> the grant of alice's auto-approved request
	jg_run alice --json request prod-db "$1" --reason "INC-1 $1"
	json_str grant_id "$OUT"
}

# --- fetching a token --------------------------------------------------

GRANT=$(grant_of sql.read)
expect_match "alice holds a grant" '^grt_' "$GRANT"

jg_run alice token fetch "$GRANT"
expect_rc "token fetch by the holder" 0
TOKEN=$OUT
expect_match "a compact JWS with a 64-byte r||s signature" \
	'^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$' "$TOKEN"
HDR=$(b64url_decode "$(part 1 "$TOKEN")")
CLAIMS=$(b64url_decode "$(part 2 "$TOKEN")")
expect_match "header: ES256, JWT, kid" \
	'^\{"alg":"ES256","kid":"[A-Za-z0-9_-]{43}","typ":"JWT"\}$' "$HDR"
KID1=$(json_str kid "$HDR")
expect_match "claims: issuer, subject, grant" \
	"\"grant_id\":\"$GRANT\".*\"iss\":\"jitgate\".*\"jti\":\"$GRANT\".*\"resource\":\"prod-db\".*\"sub\":\"alice\"" \
	"$CLAIMS"
EXP=$(json_num exp "$CLAIMS")
IAT=$(json_num iat "$CLAIMS")
expect_eq "lives five minutes (the grant lives an hour)" 300 $((EXP - IAT))

jg_http GET "/v1/grants/$GRANT/token?aud=nginx" alice
expect_eq "GET /v1/grants/{id}/token" 200 "$CODE"
expect_match "answer: token and expires_at" \
	'^\{"token":"[^"]+","expires_at":"[0-9T:-]+Z"\}$' "$BODY"
expect_match "aud claim when asked" '"aud":"nginx"' \
	"$(b64url_decode "$(part 2 "$(json_str token "$BODY")")")"
jg_http GET "/v1/grants/$GRANT/token" bob
expect_problem "another user cannot fetch it" 404 not-found
jg_http GET "/v1/grants/$GRANT/token" admin
expect_problem "not even an admin" 403 forbidden
jg_http GET "/v1/grants/$GRANT/token?aud=a%20b" alice
expect_problem "a bad audience" 400 invalid-request
jg_http GET "/v1/grants/grt_nosuchgrant/token" alice
expect_problem "an unknown grant" 404 not-found

# a grant of two minutes gives a token of two minutes at most
jg_run alice --json request prod-db sql.write --reason "INC-2 fix"
REQ=$(json_str id "$OUT")
jg_run bob --json approve "$REQ"
SHORT=$(json_str grant_id "$OUT")
jg_run alice --json token fetch "$SHORT"
C=$(b64url_decode "$(part 2 "$(json_str token "$OUT")")")
jg_http GET "/v1/grants/$SHORT" alice
GRANT_END=$(date -u -d "$(json_str expires_at "$BODY")" +%s)
expect_eq "token ends with its grant" "$GRANT_END" "$(json_num exp "$C")"
# a second may tick between approve and fetch: 119 or 120 s are left
case $(($(json_num exp "$C") - $(json_num iat "$C"))) in
119 | 120) ok "the token lasts what is left of the grant's two minutes" ;;
*) not_ok "token life" "119 or 120 s" "$(($(json_num exp "$C") - $(json_num iat "$C"))) s" ;;
esac

# --- the public keys and offline verification ------------------------

jg_http GET /.well-known/jwks.json -
expect_eq "JWKS needs no token" 200 "$CODE"
cp "$JG_TMP/body" "$JG_TMP/jwks1.json"
expect_match "one P-256 signing key" \
	"^\{\"keys\":\[\{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"[A-Za-z0-9_-]{43}\",\"y\":\"[A-Za-z0-9_-]{43}\",\"kid\":\"$KID1\",\"use\":\"sig\",\"alg\":\"ES256\"\}\]\}$" \
	"$BODY"
expect_no_match "no private key in the JWKS" '"d":' "$BODY"

jg_run - token verify "$TOKEN" --jwks "$JG_TMP/jwks1.json"
expect_rc "token verify against the JWKS file" 0
expect_match "says valid, by which key" "^token valid: signed by key $KID1, expires " "$OUT"
expect_match "prints the claims" "sub: +alice" "$OUT"
expect_match "prints the grant" "grant_id: +$GRANT" "$OUT"

jg_run - token verify "$TOKEN"
expect_rc "token verify fetching the JWKS from the server" 0
printf '%s\n' "$TOKEN" >"$JG_TMP/token"
jg_run - --json token verify - --jwks "$JITGATE_URL/.well-known/jwks.json" <"$JG_TMP/token"
expect_rc "token from stdin, JWKS by URL" 0
expect_match "--json: valid and the claims" "^\{\"valid\":true,\"kid\":\"$KID1\",\"claims\":\{" "$OUT"

if command -v node >/dev/null 2>&1; then
	cat >"$JG_TMP/verify.mjs" <<'EOF'
import fs from "fs";
import crypto from "crypto";
const [tok, file] = process.argv.slice(2);
const jwks = JSON.parse(fs.readFileSync(file, "utf8"));
const [h, p, s] = tok.split(".");
const kid = JSON.parse(Buffer.from(h, "base64url")).kid;
const key = crypto.createPublicKey({key: jwks.keys.find(k => k.kid === kid), format: "jwk"});
const ok = crypto.verify("sha256", Buffer.from(h + "." + p),
	{key, dsaEncoding: "ieee-p1363"}, Buffer.from(s, "base64url"));
console.log(ok ? "valid" : "invalid");
EOF
	expect_eq "Node's crypto verifies it too (JWK import, r||s)" valid \
		"$(node "$JG_TMP/verify.mjs" "$TOKEN" "$JG_TMP/jwks1.json" 2>&1)"
else
	echo "# node not installed: no second opinion on the signature"
fi

# tampering: another subject under the same signature
EVIL=$(printf '%s' "$CLAIMS" | sed 's/"sub":"alice"/"sub":"mallory"/' | b64url_encode)
jg_run - token verify "$(part 1 "$TOKEN").$EVIL.$(part 3 "$TOKEN")" --jwks "$JG_TMP/jwks1.json"
expect_rc "a changed payload is refused" 1
expect_match "because the signature fails" "^jitgate: token invalid: the signature does not verify" "$ERR"
SIG=$(part 3 "$TOKEN")
C41=$(printf '%s' "$SIG" | cut -c41)
[ "$C41" = A ] && C41=B || C41=A
FLIP=$(printf '%s' "$SIG" | cut -c1-40)$C41$(printf '%s' "$SIG" | cut -c42-)
jg_run - token verify "$(part 1 "$TOKEN").$(part 2 "$TOKEN").$FLIP" --jwks "$JG_TMP/jwks1.json"
expect_rc "a changed signature is refused" 1
NONE=$(printf '{"alg":"none","kid":"%s"}' "$KID1" | b64url_encode)
jg_run - token verify "$NONE.$(part 2 "$TOKEN")." --jwks "$JG_TMP/jwks1.json"
expect_rc "alg none, unsigned, is refused" 1
jg_run - token verify "$NONE.$(part 2 "$TOKEN").$SIG" --jwks "$JG_TMP/jwks1.json"
expect_rc "alg none with a signature is refused" 1
expect_match "naming the alg" "alg 'none' is not accepted" "$ERR"
jg_run - token verify "$TOKEN" --jwks "$JG_TMP/nosuch.json"
expect_rc "a missing key set is an error, not a verdict" 2

# --- /v1/check with the token -------------------------------------------

jg_http POST /v1/check pep "{\"token\":\"$TOKEN\"}"
expect_match "check with the token: allow" \
	"^\{\"allow\":true,\"grant_id\":\"$GRANT\",\"expires_at\":\"[^\"]+\",\"payload_sha256\":null,\"uses_left\":null,\"consumed\":false,\"reason\":\"active grant \(signed token\)\"\}$" \
	"$BODY"
jg_http POST /v1/check pep "{\"token\":\"$TOKEN\",\"resource\":\"prod-db\",\"action\":\"sql.write\"}"
expect_match "asked about another action: deny" '"allow":false.*the token is for sql.read on prod-db' "$BODY"
jg_http POST /v1/check bob "{\"token\":\"$TOKEN\"}"
expect_problem "someone else's token needs the checker role" 403 forbidden
jg_http POST /v1/check pep "{\"token\":\"$TOKEN\",\"principal\":\"alice\"}"
expect_problem "token and principal together" 400 invalid-request
jg_http POST /v1/check pep "{\"token\":\"$(part 1 "$TOKEN").$EVIL.$SIG\"}"
expect_match "a tampered token: deny, with why" '"allow":false.*token refused: the signature does not verify' "$BODY"

jg_run alice revoke "$GRANT" --reason "done early"
expect_rc "alice revokes her grant" 0
jg_http POST /v1/check pep "{\"token\":\"$TOKEN\"}"
expect_match "after the revoke: deny, the grant was revoked" \
	"^\{\"allow\":false,\"grant_id\":null,\"expires_at\":null,\"reason\":\"grant $GRANT was revoked\"\}$" \
	"$BODY"
jg_http GET "/v1/grants/$GRANT/token" alice
expect_problem "no token for a revoked grant" 409 conflict

# --- a token of a payload-bound, one-time grant ---------------------------

SQL="UPDATE t SET x = 1 WHERE id = 3"
jg_run alice --json request prod-db sql.write --reason "INC-3 fix" --payload "$SQL"
BREQ=$(json_str id "$OUT")
BSHA=$(json_str payload_sha256 "$OUT")
jg_run bob approve "$BREQ"
expect_rc "bob approves the bound write" 0
BGRANT=$(printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9]*' | head -n 1)
jg_run alice token fetch "$BGRANT"
BTOKEN=$OUT
BCLAIMS=$(b64url_decode "$(part 2 "$BTOKEN")")
expect_eq "the claims name the bound payload" "$BSHA" "$(json_str payload_sha256 "$BCLAIMS")"
expect_eq "and its one use" 1 "$(json_num uses_left "$BCLAIMS")"
jg_run - token verify "$BTOKEN" --jwks "$JG_TMP/jwks1.json"
expect_rc "offline, a bound token without the payload is invalid" 1
expect_match "saying which payload it wants" 'bound to one payload.*--payload' "$ERR"
jg_run - token verify "$BTOKEN" --jwks "$JG_TMP/jwks1.json" --payload "DROP TABLE t"
expect_rc "another payload is invalid" 1
jg_run - token verify "$BTOKEN" --jwks "$JG_TMP/jwks1.json" --payload "$SQL"
expect_rc "the approved payload verifies" 0
expect_match "with a note that its use is spent online" 'one-time grant' "$ERR"
jg_http POST /v1/check pep "{\"token\":\"$BTOKEN\"}"
expect_match "a bare check with the token denies" '"allow":false.*bound to one payload' "$BODY"
jg_http POST /v1/check pep "{\"token\":\"$BTOKEN\",\"payload_sha256\":\"$BSHA\",\"consume\":true}"
expect_match "with the hash and consume: allowed, the use taken" \
	"\"allow\":true,\"grant_id\":\"$BGRANT\".*\"payload_sha256\":\"$BSHA\",\"uses_left\":0,\"consumed\":true" "$BODY"
jg_http POST /v1/check pep "{\"token\":\"$BTOKEN\",\"payload_sha256\":\"$BSHA\",\"consume\":true}"
expect_match "a second consume: denied, used up" "\"allow\":false.*grant $BGRANT was used up" "$BODY"
jg_http POST /v1/check pep "{\"token\":\"$BTOKEN\",\"consume\":\"yes\"}"
expect_problem "consume must be a boolean" 400 invalid-request
jg_http POST /v1/check pep "{\"token\":\"$BTOKEN\",\"payload_sha256\":\"XYZ\"}"
expect_problem "a malformed hash is refused" 400 invalid-request

# --- rotation ------------------------------------------------------------

G2=$(grant_of sql.read)
jg_run alice token fetch "$G2"
OLD=$OUT
jg_run alice keys rotate
expect_rc "only admins rotate" 2
jg_run admin keys rotate
expect_rc "admin rotates the key" 0
expect_match "says which key is current" "^key [A-Za-z0-9_-]{43} is current; key $KID1 stays published" "$OUT"
KID2=$(printf '%s' "$OUT" | sed 's/^key \([^ ]*\) is current.*/\1/')

jg_http GET /.well-known/jwks.json -
cp "$JG_TMP/body" "$JG_TMP/jwks2.json"
expect_match "both keys published, the new one first" \
	"\"kid\":\"$KID2\".*\"kid\":\"$KID1\"" "$BODY"
jg_run - token verify "$OLD" --jwks "$JG_TMP/jwks2.json"
expect_rc "a token of the old key still verifies" 0
jg_http POST /v1/check pep "{\"token\":\"$OLD\"}"
expect_match "and still checks" '"allow":true' "$BODY"
jg_run alice token fetch "$G2"
NEW=$OUT
expect_eq "new tokens are signed by the new key" "$KID2" \
	"$(json_str kid "$(b64url_decode "$(part 1 "$NEW")")")"
jg_run - token verify "$NEW" --jwks "$JG_TMP/jwks2.json"
expect_rc "the new token verifies" 0
jg_run - token verify "$NEW" --jwks "$JG_TMP/jwks1.json"
expect_rc "but not against the key set from before the rotation" 1
expect_match "an unknown key" "unknown key id '$KID2'" "$ERR"

# --- the key files, and a restart ------------------------------------------

KEYS=$JG_TMP/keys
expect_eq "key directory mode" 700 "$(stat -c %a "$KEYS")"
expect_eq "two key files" 2 "$(ls "$KEYS" | grep -c '\.pem$')"
expect_eq "each of mode 0600" "600 600" "$(stat -c %a "$KEYS"/*.pem | tr '\n' ' ' | sed 's/ $//')"
expect_match "PEM private keys" "BEGIN PRIVATE KEY" "$(cat "$KEYS"/*.pem)"

jg_stop
jg_start
jg_run - token verify "$NEW"
expect_rc "after a restart the same keys verify" 0
jg_http GET /.well-known/jwks.json -
expect_eq "and the same key set is published" "$(cat "$JG_TMP/jwks2.json")" "$BODY"

jg_run admin --json audit list --type grant.token_issued --limit 500
expect_eq "each issued token is audited" 6 "$(count_ids evt_ "$OUT")"
expect_eq "with the address it was fetched from" 6 "$(printf '%s' "$OUT" | grep -o '"source": *"127.0.0.1"' | wc -l | tr -d ' ')"
jg_run admin --json audit list --type keys.rotated
expect_match "the rotation is audited with both key ids" \
	"\"kid\":\"$KID2\".*\"previous_kid\":\"$KID1\"|\"previous_kid\":\"$KID1\".*\"kid\":\"$KID2\"" "$OUT"
jg_run admin audit verify
expect_rc "the audit chain holds" 0

jg_finish
