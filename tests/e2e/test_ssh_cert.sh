#!/usr/bin/env bash
# test_ssh_cert.sh - short-lived OpenSSH user certificates with the real
# sshd (Debian openssh-server): started by this test as root on a loopback
# port with its own sshd_config, host key, TrustedUserCAKeys = the CA key
# published by jitgate and RevokedKeys = the KRL jitgate publishes, and a
# throwaway Unix user. With a certificate for a live grant the user logs
# in; without one, with one for another login, after the grant's expiry,
# and after a revoke once the KRL is refreshed, sshd refuses. ssh-keygen
# reads the certificate (-L) and finds it in the KRL (-Q).
#
# Needs root (useradd, sshd); skipped, saying so, otherwise.
. "$(dirname "$0")/lib.sh"

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ "$(id -u)" != 0 ] || [ ! -x "$SSHD" ] || ! command -v ssh >/dev/null; then
	echo "# skip: needs root, sshd and ssh (scripts/deps installs openssh-server)"
	jg_finish
fi

TUSER=jgssh$$
SSHD_PID=
MADE_RUN_SSHD=
ssh_cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null
	id "$TUSER" >/dev/null 2>&1 && userdel "$TUSER" 2>/dev/null
	[ -n "$MADE_RUN_SSHD" ] && rmdir /run/sshd 2>/dev/null
	jg_cleanup
}
trap ssh_cleanup EXIT

useradd -M -d /nonexistent -s /bin/sh "$TUSER" || jg_bail "useradd $TUSER"
# a locked password ("!") makes sshd without PAM refuse the account: "*"
# is no password at all, and not locked
usermod -p '*' "$TUSER" || jg_bail "unlock $TUSER"

jg_policy <<EOF2
version: 1
resources:
  web1: {labels: {kind: ssh, login: $TUSER}, actions: [ssh.login]}
  web2: {labels: {kind: ssh, login: jgother}, actions: [ssh.login]}
  lab: {labels: {env: lab}, actions: [read]}
rules:
  - name: ssh
    match: {resource: "web*", action: ssh.login}
    decision: auto
    max_duration: 1h
  - name: lab
    match: {resource: lab, action: read}
    decision: auto
    max_duration: 1h
EOF2

# --- the CA key --------------------------------------------------------

# a CA key others may read is refused at start
openssl genpkey -algorithm ed25519 -out "$JG_TMP/loose.key" 2>/dev/null
chown "$JG_SERVE_USER" "$JG_TMP/loose.key"
chmod 644 "$JG_TMP/loose.key"
for _ in 1 2 3 4 5; do # another port when the random one is taken
	"$JITGATE_BIN" serve --listen "127.0.0.1:$(jg_random_port)" --db "$JG_TMP/loose.db" \
		--policy "$JG_TMP/policy.yaml" $JG_AS_USER \
		--ssh-ca-key "$JG_TMP/loose.key" >"$JG_TMP/loose.log" 2>&1
	RC=$?
	grep -q "Address already in use" "$JG_TMP/loose.log" || break
done
expect_ne "a loose SSH CA key: the server does not start" 0 "$RC"
expect_match "and says why" "may be read by others" "$(cat "$JG_TMP/loose.log")"

JG_SERVE_ARGS="--ssh-ca-key $JG_TMP/ssh_ca.key"
jg_start
jg_token alice
jg_token bob
expect_eq "the CA key is made on first start, mode 600" 600 "$(stat -c %a "$JG_TMP/ssh_ca.key")"

curl -fsS "$JITGATE_URL/v1/ssh/ca" -o "$JG_TMP/ca.pub"
expect_match "GET /v1/ssh/ca (public): an ssh-ed25519 key" '^ssh-ed25519 AAAA' "$(cat "$JG_TMP/ca.pub")"
refresh_krl() {
	curl -fsS "$JITGATE_URL/v1/ssh/krl" -o "$JG_TMP/krl.new" && mv "$JG_TMP/krl.new" "$JG_TMP/krl"
}
refresh_krl
expect_eq "GET /v1/ssh/krl (public): a KRL" "SSHKRL" "$(head -c 6 "$JG_TMP/krl")"

# --- sshd ----------------------------------------------------------------

[ -d /run/sshd ] || { mkdir -p /run/sshd && MADE_RUN_SSHD=1; }
ssh-keygen -q -t ed25519 -N '' -f "$JG_TMP/host_key"
start_sshd() {
	local try
	for try in 1 2 3 4 5; do
		SSH_PORT=$(jg_random_port)
		cat >"$JG_TMP/sshd_config" <<EOF2
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $JG_TMP/host_key
PidFile none
TrustedUserCAKeys $JG_TMP/ca.pub
RevokedKeys $JG_TMP/krl
AuthorizedKeysFile none
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
EOF2
		: >"$JG_TMP/sshd.log"
		"$SSHD" -D -f "$JG_TMP/sshd_config" -E "$JG_TMP/sshd.log" &
		SSHD_PID=$!
		for _ in $(seq 1 50); do
			kill -0 "$SSHD_PID" 2>/dev/null || break
			grep -q "listening on 127.0.0.1 port $SSH_PORT" "$JG_TMP/sshd.log" && return 0
			sleep 0.1
		done
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	done
	jg_bail "sshd starts" "listening" "$(cat "$JG_TMP/sshd.log")"
}
start_sshd

mkdir -p "$JG_TMP/u"
ssh-keygen -q -t ed25519 -N '' -C alice@laptop -f "$JG_TMP/u/id_ed25519"
KEY=$JG_TMP/u/id_ed25519
# ssh as TUSER with KEY and the given certificate (or none): sets SSH_RC
# and SSH_OUT (stdout; stderr in ssh.err).
try_ssh() { # [CERT] [LOGIN]
	local cert=(-o CertificateFile=none)
	[ -n "${1:-}" ] && cert=(-o "CertificateFile=$1")
	SSH_OUT=$(ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
		-o IdentityAgent=none -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=10 -i "$KEY" "${cert[@]}" -p "$SSH_PORT" \
		"${2:-$TUSER}@127.0.0.1" echo jg-logged-in 2>"$JG_TMP/ssh.err")
	SSH_RC=$?
}
grant_of() { # RESOURCE ACTION [ARGS...] -> the grant of alice's request
	jg_run alice --json request "$1" "$2" --reason "INC-7 $1" "${@:3}"
	json_str grant_id "$OUT"
}

# --- without a certificate -------------------------------------------------

try_ssh
expect_ne "no certificate: sshd refuses" 0 "$SSH_RC"
expect_no_match "and no shell ran" jg-logged-in "$SSH_OUT"

# --- with a certificate for a live grant -------------------------------------

G1=$(grant_of web1 ssh.login)
expect_match "alice holds an ssh grant" '^grt_' "$G1"
jg_run alice ssh-cert "$G1" "$KEY.pub"
expect_rc "jitgate ssh-cert by the holder" 0
expect_match "it says where and for whom" "wrote $KEY-cert.pub: login $TUSER until" "$ERR"
CERT1=$JG_TMP/cert1.pub
cp "$KEY-cert.pub" "$CERT1"
L=$(TZ=UTC ssh-keygen -L -f "$CERT1")
expect_match "ssh-keygen -L: a user certificate" 'ssh-ed25519-cert-v01@openssh.com user certificate' "$L"
expect_match "ssh-keygen -L: the principal is the granted login" "Principals: *$TUSER" "$(echo "$L" | tr -d '\n')"
expect_match "ssh-keygen -L: the key id names the grant" "Key ID: \"jitgate:$G1:alice\"" "$L"
EXP=$(jg_run alice --json show "$G1"; json_str expires_at "$OUT")
EXP_L=$(echo "$EXP" | sed 's/Z$//')
expect_match "ssh-keygen -L: valid until the grant's expiry" "Valid: from .* to $EXP_L" "$L"
expect_match "ssh-keygen -L: a shell, no forwarding" 'permit-pty' "$L"
expect_no_match "ssh-keygen -L: no port forwarding" 'port-forwarding' "$L"
expect_eq "ssh-keygen -L: signed by our CA" \
	"$(ssh-keygen -lf "$JG_TMP/ca.pub" | cut -d' ' -f2)" \
	"$(echo "$L" | sed -n 's/.*Signing CA: ED25519 \(SHA256:[^ ]*\).*/\1/p')"

try_ssh "$CERT1"
expect_eq "with the certificate: logged in" "0 jg-logged-in" "$SSH_RC $SSH_OUT"
try_ssh "$CERT1" root
expect_ne "the same certificate for root: refused" 0 "$SSH_RC"

jg_audit_has() { # TYPE SUBJECT
	jg_run admin --json audit list --subject "$2" --type "$1"
}
jg_audit_has ssh_cert.issued "$G1"
expect_eq "audited as ssh_cert.issued, with the key's fingerprint" \
	"$(ssh-keygen -lf "$KEY.pub" | cut -d' ' -f2)" "$(json_str fingerprint "$OUT")"
expect_eq "and the certificate's serial" \
	"$(ssh-keygen -L -f "$CERT1" | sed -n 's/.*Serial: //p')" "$(json_num serial "$OUT")"
expect_match "and the login and validity" "\"principals\":\[\"$TUSER\"\].*\"valid_before\":\"$EXP\"" "$OUT"
expect_no_match "the audit holds no key material" 'AAAAC3' "$OUT"
expect_eq "and the address it was asked from" 127.0.0.1 "$(json_str source "$OUT")"

# --- refused issues ------------------------------------------------------------

jg_run bob ssh-cert "$G1" "$KEY.pub" -o "$JG_TMP/bob-cert.pub"
expect_rc "another user's grant: refused" 2
expect_eq "and nothing written" no "$([ -e "$JG_TMP/bob-cert.pub" ] && echo yes || echo no)"
GL=$(grant_of lab read)
jg_run alice ssh-cert "$GL" "$KEY.pub" -o "$JG_TMP/lab-cert.pub"
expect_rc "a grant on a resource that is not ssh: refused" 2
expect_match "saying so" "not for ssh.login" "$ERR"
ssh-keygen -q -t rsa -b 1024 -N '' -f "$JG_TMP/u/weak" 2>/dev/null
jg_run alice ssh-cert "$G1" "$JG_TMP/u/weak.pub"
expect_rc "an RSA key of 1024 bits: refused" 2
expect_match "saying why" "ssh-rsa keys must have 2048" "$ERR"
printf 'ssh-dss AAAAB3NzaC1kc3MAAACBAP x\n' >"$JG_TMP/u/dsa.pub"
jg_run alice ssh-cert "$G1" "$JG_TMP/u/dsa.pub"
expect_match "a DSA key: refused, naming what is taken" "ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa" "$ERR"
N=$(grep -c "ssh-cert" "$JG_TMP/server.log")
jg_run alice ssh-cert "$G1" "$KEY" -o "$JG_TMP/priv-cert.pub"
expect_match "the private key file by mistake: refused before sending" "is a private key" "$ERR"
expect_eq "nothing reached the server" "$N" "$(grep -c "ssh-cert" "$JG_TMP/server.log")"
jg_http POST "/v1/grants/$G1/ssh-cert" alice '{"public_key":"ssh-ed25519 AAAA","x":1}'
expect_problem "an unknown field: 400" 400 invalid-request

# --- a certificate for another login -------------------------------------------

G2=$(grant_of web2 ssh.login)
jg_run alice ssh-cert "$G2" "$KEY.pub" -o "$JG_TMP/cert2.pub"
expect_rc "a certificate for login jgother" 0
try_ssh "$JG_TMP/cert2.pub"
expect_ne "a certificate for another login: refused" 0 "$SSH_RC"
expect_match "sshd says why" "not in the list of principals|Certificate invalid" "$(cat "$JG_TMP/sshd.log")"

# --- revoke, then the KRL --------------------------------------------------------

jg_run admin revoke "$G1" --reason "INC-7 over"
expect_rc "admin revokes the grant" 0
# until the KRL is refreshed the certificate still works: that is what
# the timer fetching it is for (docs/enforcement.md)
try_ssh "$CERT1"
expect_eq "revoked, KRL not yet refreshed: still in" "0 jg-logged-in" "$SSH_RC $SSH_OUT"
refresh_krl
try_ssh "$CERT1"
expect_ne "revoked and KRL refreshed: refused" 0 "$SSH_RC"
expect_match "sshd: the key is revoked" "revoked by file" "$(cat "$JG_TMP/sshd.log")"
Q=$(ssh-keygen -Q -f "$JG_TMP/krl" "$CERT1" 2>&1)
expect_match "ssh-keygen -Q finds the certificate revoked" "REVOKED" "$Q"
Q=$(ssh-keygen -Q -f "$JG_TMP/krl" "$JG_TMP/cert2.pub" 2>&1)
expect_match "the live grant's certificate is not in the KRL" ": ok" "$Q"
jg_run alice ssh-cert "$G1" "$KEY.pub" -o "$JG_TMP/again.pub"
expect_rc "no new certificate for a revoked grant" 2
expect_match "saying why" "revoked" "$ERR"

# --- expiry: the certificate ends with the grant ------------------------------------

G3=$(grant_of web1 ssh.login --duration 5s)
jg_run alice ssh-cert "$G3" "$KEY.pub" -o "$JG_TMP/cert3.pub"
expect_rc "a certificate for a 5-second grant" 0
VB=$(date -u -d "$(TZ=UTC ssh-keygen -L -f "$JG_TMP/cert3.pub" | sed -n 's/.*Valid: from .* to //p')Z" +%s)
# wait for the grant to expire and sshd's clock (ours) to pass the
# certificate's end: a bounded poll, no timed assertion
for _ in $(seq 1 200); do
	jg_run alice --json show "$G3"
	[ "$(json_str state "$OUT")" = expired ] && [ "$(date +%s)" -ge "$VB" ] && break
	sleep 0.1
done
expect_eq "the short grant has expired" expired "$(json_str state "$OUT")"
try_ssh "$JG_TMP/cert3.pub"
expect_ne "after the grant's expiry: refused" 0 "$SSH_RC"
refresh_krl
Q=$(ssh-keygen -Q -f "$JG_TMP/krl" "$JG_TMP/cert3.pub" 2>&1)
expect_match "an expired grant needs no KRL entry (the certificate expired)" ": ok" "$Q"
jg_run alice ssh-cert "$G3" "$KEY.pub" -o "$JG_TMP/late.pub"
expect_rc "no certificate for an expired grant" 2

jg_finish
