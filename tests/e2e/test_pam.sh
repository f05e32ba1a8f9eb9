#!/usr/bin/env bash
# test_pam.sh - pam_jitgate.so in the real PAM stack: pamtester and real
# sudo ask the real server. A grant lets the test user in, no grant, a
# revoked or an expired one does not; with the server down nobody gets in
# but the members of the break-glass group; a token file others may read
# is refused; pamtester runs the module under valgrind too.
#
# Needs root (it writes /etc/pam.d, /etc/sudoers.d and adds users and a
# group, each with a random name, all removed on exit); skipped
# otherwise. The sudoers drop-in is checked with visudo before it goes
# in, and the whole sudoers again after, so a bad file never stays.
# When the machine has no syslog (/dev/log), the test listens there
# itself to check what the module logs.
# backends: sqlite
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "# skip: needs root (writes /etc/pam.d and /etc/sudoers.d, adds users)"
	echo "0 passed, 0 failed"
	exit 0
fi
for cmd in pamtester sudo visudo useradd valgrind python3; do
	command -v "$cmd" >/dev/null 2>&1 ||
		jg_bail "$cmd installed" "installed by scripts/deps" "missing"
done
SO=${PAM_JITGATE_SO:-$(dirname "$JITGATE_BIN")/pam_jitgate.so}
[ -f "$SO" ] || jg_bail "pam_jitgate.so built" "$SO (make build)" "missing"

RND=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
TUSER=jgpam$RND           # holds grants
BGUSER=jgbg$RND           # in the break-glass group, holds no grant
BGGROUP=jgbgg$RND
SVC=jitgate-test-$RND
SUDOSVC=jitgate-test-sudo-$RND
AUTHSVC=jitgate-test-auth-$RND
SUDOERS=/etc/sudoers.d/jitgate-test-$RND
# The token file's directory: root's (JG_TMP belongs to the server's user,
# so the module rightly refuses a token file there).
PAMDIR=$(mktemp -d /tmp/jitgate-pam.XXXXXX) || exit 2
SYSLOG=$PAMDIR/syslog
OWN_DEVLOG=0

pam_cleanup() {
	rm -f "/etc/pam.d/$SVC" "/etc/pam.d/$SUDOSVC" "/etc/pam.d/$AUTHSVC" "$SUDOERS"
	userdel "$TUSER" 2>/dev/null
	userdel "$BGUSER" 2>/dev/null
	groupdel "$BGGROUP" 2>/dev/null
	[ "$OWN_DEVLOG" = 1 ] && rm -f /dev/log
	rm -rf "$PAMDIR"
	jg_cleanup
}
trap pam_cleanup EXIT

groupadd "$BGGROUP" || jg_bail "groupadd" "a group" "failed"
useradd -M -s /bin/sh "$TUSER" || jg_bail "useradd $TUSER" "a user" "failed"
useradd -M -s /bin/sh -G "$BGGROUP" "$BGUSER" || jg_bail "useradd $BGUSER" "a user" "failed"

if [ ! -e /dev/log ]; then
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", 0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
' /dev/log "$SYSLOG" &
	JG_BG_PIDS="$JG_BG_PIDS $!"
	OWN_DEVLOG=1
	for i in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
fi

# this host by its short name, the module's default resource (when that
# is a valid jitgate name; "pamhost" stands in otherwise)
HOSTRES=$(hostname | cut -d. -f1)
printf '%s' "$HOSTRES" | grep -qE '^[A-Za-z0-9._-]{1,63}$' && [ "$HOSTRES" != pamhost ] ||
	HOSTRES=
jg_policy <<EOF2
version: 1
resources:
  pamhost: {labels: {env: lab}, actions: [sudo, ssh.login]}
  ${HOSTRES:-pamhost2}: {labels: {env: lab}, actions: [sudo]}
rules:
  - name: hosts
    match: {labels: {env: lab}}
    decision: auto
    max_duration: 1h
EOF2
# jitgate over TLS, signed by the test's own CA: the module verifies it
# with cafile= (as the CLI does with --cacert)
PKI=$JG_TMP/pki
mkdir -p "$PKI"
pki() { # openssl ARGS... (quiet; bails when it fails)
	openssl "$@" >>"$PKI/log" 2>&1 || jg_bail "openssl $1" "the PKI made" "$(tail -n 3 "$PKI/log")"
}
pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/ca.key"
pki req -x509 -new -key "$PKI/ca.key" -subj "/CN=jitgate pam test CA" -days 30 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	-out "$PKI/ca.pem"
pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/srv.key"
pki req -new -key "$PKI/srv.key" -subj "/CN=localhost" -out "$PKI/srv.csr"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$PKI/srv.ext"
pki x509 -req -in "$PKI/srv.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
	-CAcreateserial -days 30 -extfile "$PKI/srv.ext" -out "$PKI/srv.pem"
chown "$JG_SERVE_USER" "$PKI/srv.key" "$PKI/srv.pem"
JG_CACERT=$PKI/ca.pem
JG_SERVE_ARGS="--tls-cert $PKI/srv.pem --tls-key $PKI/srv.key"
export JITGATE_CACERT=$PKI/ca.pem
jg_start
jg_token pamcheck --service --role checker
jg_token "$TUSER"
install -m 0600 -o root -g root "$JG_TMP/tok.pamcheck" "$PAMDIR/token"

# pam_service FILE URL [MORE ARGS]: the test's PAM service. The timeout is
# generous (TLS under valgrind on a busy machine is slow); a later
# timeout= in MORE ARGS wins.
pam_service() {
	local file=$1 url=$2
	shift 2
	cat >"$file" <<EOF2
auth     required pam_deny.so
account  required $SO url=$url token_file=$PAMDIR/token cafile=$PKI/ca.pem resource=pamhost action=sudo breakglass_group=$BGGROUP timeout=30 $*
session  required pam_permit.so
EOF2
}
pam_service "/etc/pam.d/$SVC" "$JITGATE_URL"
pam_service "/etc/pam.d/$SUDOSVC" "$JITGATE_URL"
# the module in the auth phase instead
sed 's/^account .*/account  required pam_permit.so/; s/^auth .*pam_deny.so$//' \
	"/etc/pam.d/$SVC" >"/etc/pam.d/$AUTHSVC"
sed -n 's/^account  required \(.*pam_jitgate.so.*\)/auth     required \1/p' \
	"/etc/pam.d/$SVC" >>"/etc/pam.d/$AUTHSVC"

cat >"$PAMDIR/sudoers" <<EOF2
Defaults:$TUSER pam_service=$SUDOSVC
Defaults:$BGUSER pam_service=$SUDOSVC
$TUSER ALL=(root) NOPASSWD: /bin/true
$BGUSER ALL=(root) NOPASSWD: /bin/true
EOF2
visudo -cqf "$PAMDIR/sudoers" || jg_bail "test sudoers drop-in" "visudo -c passes" "it does not"
install -m 0440 -o root -g root "$PAMDIR/sudoers" "$SUDOERS"
if ! visudo -cq; then
	rm -f "$SUDOERS"
	jg_bail "sudoers with the drop-in" "visudo -c passes" "it does not"
fi

# PT USER: pamtester's account phase on the test service; sets RC.
PT() {
	JG_LAST="pamtester $SVC $1 acct_mgmt"
	pamtester "$SVC" "$1" acct_mgmt >"$JG_TMP/out" 2>"$JG_TMP/err"
	RC=$?
}
# SU USER: USER runs `sudo -n /bin/true` under the test sudo service.
SU() {
	JG_LAST="sudo -n /bin/true as $1"
	runuser -u "$1" -- sudo -n /bin/true >"$JG_TMP/out" 2>"$JG_TMP/err" </dev/null
	RC=$?
}
# VG USER: PT under valgrind; sets RC (99: a memory error or leak).
VG() {
	JG_LAST="valgrind pamtester $SVC $1 acct_mgmt"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 pamtester "$SVC" "$1" acct_mgmt \
		>"$JG_TMP/out" 2>"$JG_TMP/err"
	RC=$?
}
expect_allowed() { # DESC
	if [ "$RC" -eq 0 ]; then ok "$1"; else not_ok "$1" "allowed (exit 0)" "exit $RC"; fi
}
expect_denied() { # DESC
	if [ "$RC" -ne 0 ] && [ "$RC" -ne 99 ]; then ok "$1"; else
		not_ok "$1" "denied (exit neither 0 nor 99)" "exit $RC"; fi
}

# --- no grant ------------------------------------------------------------

PT "$TUSER"
expect_denied "pamtester: no grant, denied"
expect_match "the user is told how to ask" "jitgate request pamhost sudo" "$(cat "$JG_TMP/out" "$JG_TMP/err")"
SU "$TUSER"
expect_denied "sudo: no grant, denied"
VG "$TUSER"
expect_denied "valgrind: the denial is clean"

# --- a grant -------------------------------------------------------------

jg_run "$TUSER" request pamhost sudo --reason "patch the kernel"
expect_rc "the test user's request" 0
GRANT=$(printf '%s' "$OUT" | grep -o 'grt_[a-z0-9]*' | head -n 1)
expect_match "approved at once with a grant" '^grt_' "$GRANT"
PT "$TUSER"
expect_allowed "pamtester: with a grant, allowed"
SU "$TUSER"
expect_allowed "sudo: with a grant, allowed"
VG "$TUSER"
expect_allowed "valgrind: the allow is clean"
PT "$BGUSER"
expect_denied "another user without a grant is still denied"
JG_LAST="pamtester $AUTHSVC authenticate"
pamtester "$AUTHSVC" "$TUSER" authenticate >"$JG_TMP/out" 2>&1
RC=$?
expect_allowed "the auth phase: with a grant, allowed"
pamtester "$AUTHSVC" "$BGUSER" authenticate >"$JG_TMP/out" 2>&1
RC=$?
expect_denied "the auth phase: without a grant, denied"

# a sudo action grant is not an ssh.login grant
sed -i 's/action=sudo/action=ssh.login/' "/etc/pam.d/$SVC"
PT "$TUSER"
expect_denied "the grant is for sudo, not ssh.login"
sed -i 's/action=ssh.login/action=sudo/' "/etc/pam.d/$SVC"

# without resource=, the resource is this host's short name
if [ -n "$HOSTRES" ]; then
	sed -i 's/ resource=pamhost//' "/etc/pam.d/$SVC"
	PT "$TUSER"
	expect_denied "the default resource is the host's name: no grant for it yet"
	expect_match "the user is told which" "jitgate request $HOSTRES sudo" "$(cat "$JG_TMP/out" "$JG_TMP/err")"
	jg_run "$TUSER" request "$HOSTRES" sudo --reason "this host"
	PT "$TUSER"
	expect_allowed "a grant on the host's name allows"
	pam_service "/etc/pam.d/$SVC" "$JITGATE_URL"
else
	echo "# skip: the host name '$(hostname)' is no jitgate name, default resource not tested"
fi

# --- the token file ------------------------------------------------------

chmod 0644 "$PAMDIR/token"
PT "$TUSER"
expect_denied "a token file others may read is refused (grant or not)"
chmod 0600 "$PAMDIR/token"
chown nobody "$PAMDIR/token"
PT "$TUSER"
expect_denied "a token file root does not own is refused"
chown root "$PAMDIR/token"
PT "$TUSER"
expect_allowed "the fixed token file works again"

# TLS: without the test CA the server's certificate does not verify
sed -i "s| cafile=$PKI/ca.pem||" "/etc/pam.d/$SVC"
PT "$TUSER"
expect_denied "a certificate that does not verify is no answer (fails closed)"
pam_service "/etc/pam.d/$SVC" "$JITGATE_URL"
PT "$TUSER"
expect_allowed "with cafile= it verifies"

# --- revoke --------------------------------------------------------------

jg_run admin revoke "$GRANT" --reason "done early"
expect_rc "admin revokes the grant" 0
PT "$TUSER"
expect_denied "pamtester: revoked, denied at once"
SU "$TUSER"
expect_denied "sudo: revoked, denied at once"

# --- expiry --------------------------------------------------------------

jg_run "$TUSER" request pamhost sudo --reason "short one" --duration 1s
expect_rc "a one-second grant" 0
# wait, bounded, until jitgate itself says the grant is over
for i in $(seq 1 100); do
	jg_run pamcheck check "$TUSER" pamhost sudo
	[ "$RC" -eq 1 ] && break
	sleep 0.1
done
expect_rc "jitgate says the short grant is over" 1
PT "$TUSER"
expect_denied "pamtester: expired, denied"
SU "$TUSER"
expect_denied "sudo: expired, denied"

# a live grant again, so that the outage below is the only reason to deny
jg_run "$TUSER" request pamhost sudo --reason "for the outage part"
PT "$TUSER"
expect_allowed "a new grant allows again"

# --- the server down -----------------------------------------------------

jg_stop
PT "$TUSER"
expect_denied "pamtester: server down, denied (fails closed)"
SU "$TUSER"
expect_denied "sudo: server down, denied (fails closed)"
PT "$BGUSER"
expect_allowed "pamtester: server down, the break-glass group is let in"
SU "$BGUSER"
expect_allowed "sudo: server down, the break-glass group is let in"
VG "$TUSER"
expect_denied "valgrind: the fail-closed path is clean"
VG "$BGUSER"
expect_allowed "valgrind: the break-glass path is clean"
pam_service "/etc/pam.d/$SVC" "$JITGATE_URL" "breakglass_group=nosuch$RND"
PT "$BGUSER"
expect_denied "a break-glass group that does not exist lets nobody in"
pam_service "/etc/pam.d/$SVC" "$JITGATE_URL"

# a server that never answers: the timeout, then no answer
jg_start_helper "$JG_TMP/hung.err" "$(dirname "$0")/hung_listener.py" \
	"$JG_TMP/hung.log" "$JG_TMP/hung.ready"
pam_service "/etc/pam.d/$SVC" "http://127.0.0.1:$JG_HELPER_PORT" timeout=1
PT "$TUSER"
expect_denied "a server that never answers: denied after the timeout"
PT "$BGUSER"
expect_allowed "a server that never answers: break-glass let in"

# a server that answers nonsense (allow is not a boolean)
cat >"$JG_TMP/nonsense.py" <<'EOF2'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"allow":"yes","grant_id":"grt_x"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF2
jg_start_helper "$JG_TMP/nonsense.err" "$JG_TMP/nonsense.py"
pam_service "/etc/pam.d/$SVC" "http://127.0.0.1:$JG_HELPER_PORT"
PT "$TUSER"
expect_denied "a server that answers nonsense: denied"
VG "$TUSER"
expect_denied "valgrind: the nonsense path is clean"

# a bad module argument denies, and says which
pam_service "/etc/pam.d/$SVC" "$JITGATE_URL" breakglas_group=x
PT "$BGUSER"
expect_denied "an unknown module argument denies"
# the token never travels in plain http but to a loopback host
pam_service "/etc/pam.d/$SVC" "http://0.0.0.0:1"
PT "$BGUSER"
expect_denied "a plain http url to another host is refused"

# --- what went to syslog -------------------------------------------------

if [ "$OWN_DEVLOG" = 1 ]; then
	# the listener writes each datagram as it comes: wait (bounded) for
	# the last attempt's line before reading the log
	for i in $(seq 1 100); do
		grep -q "must be https" "$SYSLOG" && break
		sleep 0.1
	done
	LOG=$(cat "$SYSLOG")
	expect_match "syslog: the allow with its grant" "allow user=$TUSER principal=$TUSER resource=pamhost action=sudo grant=grt_" "$LOG"
	expect_match "syslog: the denial with jitgate's reason" "deny user=$TUSER .*: no active grant" "$LOG"
	expect_match "syslog: the token file refused, and why" "mode 0644: others may read" "$LOG"
	expect_match "syslog: fail closed, and why" "deny \(fail closed\) user=$TUSER .*unreachable" "$LOG"
	expect_match "syslog: break-glass, loudly" "BREAK-GLASS allow user=$BGUSER \(group $BGGROUP\)" "$LOG"
	expect_match "syslog: the certificate that did not verify" "deny \(fail closed\) user=$TUSER .*unreachable.*(SSL|certificate)" "$LOG"
	expect_match "syslog: the timeout" "deny \(fail closed\) user=$TUSER .*(timed out|Timeout)" "$LOG"
	expect_match "syslog: the nonsense" "deny \(fail closed\) user=$TUSER .*not a check result" "$LOG"
	expect_match "syslog: the missing break-glass group" "break-glass group 'nosuch$RND' does not exist" "$LOG"
	expect_match "syslog: the bad argument named" "unknown argument 'breakglas_group=x'" "$LOG"
	expect_match "syslog: the plain http url refused" "url= 'http://0.0.0.0:1' must be https" "$LOG"
	if grep -qF "$(cat "$PAMDIR/token")" "$SYSLOG"; then
		not_ok "syslog never holds the token" "no token" "the token"
	else
		ok "syslog never holds the token"
	fi
else
	echo "# skip: the machine runs its own syslog, the log lines are not checked"
fi

jg_finish
