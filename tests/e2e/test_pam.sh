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
#
# Request mode: the test OpenID Provider (tests/oidc) signs "alice" in
# through `jitgate login`, the only way to a CLI session; the session file
# goes into the home of a local user alice (made for the test, removed
# after; when the machine already has an alice, that part is skipped).
# pamtester reads the reason from stdin, files the request as alice and
# waits while bob approves or denies it; the wait running out, no session
# file, and one owned by another user, readable by others or a symbolic
# link (refused and logged) are checked, and the request path runs under
# valgrind.
# backends: sqlite
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../oidc/lib.sh"

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
REQSVC=jitgate-test-req-$RND
RUSER=                    # alice, when the test made her
RHOME=$(mktemp -d /tmp/jitgate-pamhome.XXXXXX) || exit 2

pam_cleanup() {
	rm -f "/etc/pam.d/$SVC" "/etc/pam.d/$SUDOSVC" "/etc/pam.d/$AUTHSVC" "$SUDOERS"
	rm -f "/etc/pam.d/$REQSVC"
	[ -n "$RUSER" ] && userdel "$RUSER" 2>/dev/null
	rm -rf "$RHOME"
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
if ! id alice >/dev/null 2>&1 && useradd -M -d "$RHOME" -s /bin/sh alice; then
	RUSER=alice
	chown alice: "$RHOME"
	chmod 0700 "$RHOME"
fi
jg_oidc_install || jg_bail "test OpenID Provider installed"
jg_oidc_start || jg_bail "test OpenID Provider starts"
printf '%s\n' "$JG_OIDC_SECRET" >"$PAMDIR/oidc.secret"
chmod 600 "$PAMDIR/oidc.secret"
[ -n "$JG_AS_OWNER" ] && chown "$JG_SERVE_USER" "$PAMDIR/oidc.secret"
chmod 0711 "$PAMDIR"

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
# pamreq: reviewed by bob (request mode); the people sign in as their
# preferred_username, the name of their local account
jg_policy <<EOF2
version: 1
identity:
  signin:
    issuer: $JG_OIDC_URL
    client_id: $JG_OIDC_CLIENT
    client_secret_file: $PAMDIR/oidc.secret
    redirect_url: http://127.0.0.1:1/v1/auth/oidc/callback
    scopes: [openid, email, profile]
    principal_claim: preferred_username
    session_ttl: 2h
groups:
  pamops: {members: [bob]}
resources:
  pamhost: {labels: {env: lab}, actions: [sudo, ssh.login]}
  ${HOSTRES:-pamhost2}: {labels: {env: lab}, actions: [sudo]}
  pamreq: {actions: [sudo]}
rules:
  - name: hosts
    match: {labels: {env: lab}}
    decision: auto
    max_duration: 1h
  - name: reviewed
    match: {resource: pamreq}
    steps: [{group: pamops, count: 1}]
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
jg_token bob --group pamops
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
# alice's sudo runs the module in request mode
[ -n "$RUSER" ] && cat >>"$PAMDIR/sudoers" <<EOF2
Defaults:alice pam_service=$REQSVC
alice ALL=(root) NOPASSWD: /bin/true
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
# the remote host (sshd's PAM_RHOST), when an address, is where the
# grant is used from; a name is not passed on
JG_LAST="pamtester -I rhost=192.0.2.77 $SVC acct_mgmt"
pamtester -I rhost=192.0.2.77 "$SVC" "$TUSER" acct_mgmt >"$JG_TMP/out" 2>"$JG_TMP/err"
RC=$?
expect_allowed "from a remote address, allowed"
JG_LAST="pamtester -I rhost=bastion.example $SVC acct_mgmt"
pamtester -I rhost=bastion.example "$SVC" "$TUSER" acct_mgmt >"$JG_TMP/out" 2>"$JG_TMP/err"
RC=$?
expect_allowed "from a remote host name, allowed"
jg_run admin --json audit list --type grant.used --subject "$GRANT"
expect_match "its first use from the remote address is recorded" '"source": *"192.0.2.77"' "$OUT"
expect_match "and its first use from this host (the checker's address)" '"source": *"127.0.0.1"' "$OUT"
expect_no_match "a host name is never a source" 'bastion' "$OUT"
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

# --- request mode ---------------------------------------------------------

# alice signs in with `jitgate login` at the provider (its device pages,
# driven with curl as a person's browser would); sets RSESSION, the file.
alice_login() {
	local jar=$JG_TMP/oidc.jar code xsrf action
	export XDG_CONFIG_HOME=$JG_TMP/alicecfg
	env -u JITGATE_URL -u JITGATE_TOKEN "$JITGATE_BIN" login --server "$JITGATE_URL" \
		>"$JG_TMP/login.out" 2>"$JG_TMP/login.err" &
	LOGIN_PID=$!
	JG_BG_PIDS="$JG_BG_PIDS $LOGIN_PID"
	jg_wait_file "$JG_TMP/login.out"
	for _ in $(seq 1 100); do
		code=$(sed -n 's/^and enter the code: //p' "$JG_TMP/login.out")
		[ -n "$code" ] && break
		sleep 0.1
	done
	xsrf=$(curl -sS -c "$jar" -b "$jar" "$JG_OIDC_URL/device" |
		sed -n 's/.*name="xsrf" value="\([^"]*\)".*/\1/p')
	curl -sS -c "$jar" -b "$jar" -L -o "$JG_TMP/page.html" --data-urlencode "xsrf=$xsrf" \
		--data-urlencode "user_code=$code" -d "confirm=yes" "$JG_OIDC_URL/device"
	action=$(sed -n 's/.*action="\(\/interaction\/[^"]*\/login\)".*/\1/p' "$JG_TMP/page.html")
	curl -sS -c "$jar" -b "$jar" -L -o "$JG_TMP/page.html" \
		-d "username=alice" -d "password=alice-pw" "$JG_OIDC_URL$action"
	wait "$LOGIN_PID"
	RC=$?
	unset XDG_CONFIG_HOME
	RSESSION=$JG_TMP/alicecfg/jitgate/session
}

# put_session [MODE [OWNER]]: alice's session file in her home
put_session() {
	mkdir -p "$RHOME/.config/jitgate"
	rm -f "$RHOME/.config/jitgate/session"
	install -m "${1:-0600}" -o "${2:-alice}" "$RSESSION" "$RHOME/.config/jitgate/session"
	chown -R alice: "$RHOME/.config"
	[ -n "${2:-}" ] && chown "$2" "$RHOME/.config/jitgate/session"
}

# RQ [valgrind]: pamtester on the request service as alice in the
# background, the reason on stdin; output in $JG_TMP/rq.out (unbuffered,
# to be read while it waits), pid RQ_PID.
RQ() {
	: >"$JG_TMP/rq.out"
	printf '%s\n' "${REASON-CHG-7 patch the kernel}" | stdbuf -o0 -e0 \
		${1:+valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99} \
		pamtester "$REQSVC" alice acct_mgmt >"$JG_TMP/rq.out" 2>&1 &
	RQ_PID=$!
}
# rq_id: wait (bounded) for the request id pamtester shows; sets REQ.
rq_id() {
	REQ=
	for _ in $(seq 1 600); do
		REQ=$(grep -o 'request req_[A-Za-z0-9_-]* filed' "$JG_TMP/rq.out" | cut -d' ' -f2)
		[ -n "$REQ" ] && return 0
		kill -0 "$RQ_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
rq_wait() {
	wait "$RQ_PID"
	RC=$?
	JG_LAST="pamtester $REQSVC alice (request mode): $(cat "$JG_TMP/rq.out")"
}

if [ -n "$RUSER" ]; then
	pam_service "/etc/pam.d/$REQSVC" "$JITGATE_URL" request wait=120
	sed -i 's/resource=pamhost/resource=pamreq/' "/etc/pam.d/$REQSVC"

	# no session file: told to sign in, nothing filed
	RQ
	rq_wait
	expect_denied "request mode without a session file: denied"
	expect_match "the user is told to run jitgate login" "jitgate login --server $JITGATE_URL" "$(cat "$JG_TMP/rq.out")"
	expect_no_match "nothing was filed" "req_" "$(cat "$JG_TMP/rq.out")"

	alice_login
	expect_rc "alice signs in with jitgate login" 0
	[ -s "$RSESSION" ] || jg_bail "alice's session file" "written" "missing"

	# approved while pamtester waits: allowed (under valgrind: the path
	# through the approval and the second check)
	put_session
	RQ valgrind
	rq_id || jg_bail "the request is filed" "a req_ id shown" "$(cat "$JG_TMP/rq.out")"
	expect_match "the approval link is shown" "$JITGATE_URL/#/request/$REQ" "$(cat "$JG_TMP/rq.out")"
	jg_run bob approve "$REQ" --comment "go ahead"
	expect_rc "bob approves it from another shell" 0
	rq_wait
	expect_allowed "request mode: approved while waiting, allowed (valgrind clean)"
	jg_run bob --json show "$REQ"
	expect_match "the request is alice's, with the reason typed" '"requester": ?"alice"' "$OUT"
	expect_match "(the reason)" "CHG-7 patch the kernel" "$OUT"
	jg_run admin revoke "$(printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9_-]*' | head -n 1)" --reason "next part"
	expect_rc "(the grant revoked for the next part)" 0

	# denied while pamtester waits: denied, with the reason
	RQ
	rq_id || jg_bail "the second request is filed" "a req_ id" "$(cat "$JG_TMP/rq.out")"
	jg_run bob deny "$REQ" --comment "not during the freeze"
	expect_rc "bob denies it" 0
	rq_wait
	expect_denied "request mode: denied while waiting, denied"
	expect_match "with the reason" "request $REQ denied: denied by bob \\(\"not during the freeze\"\\)" "$(cat "$JG_TMP/rq.out")"

	# sudo -n cannot ask for a reason: denied with the usual message
	SU alice
	expect_denied "sudo -n in request mode: denied"
	expect_match "(saying no reason could be asked, or none was given)" \
		"no reason could be asked|the reason must be" "$(cat "$JG_TMP/out" "$JG_TMP/err")"

	# an empty reason is refused, nothing filed
	REASON='' RQ
	rq_wait
	expect_denied "an empty reason: denied"
	expect_match "saying the reason is needed" "the reason must be 1 to 500 bytes" "$(cat "$JG_TMP/rq.out")"

	# nobody reviews: the wait runs out (under valgrind: the request path)
	pam_service "/etc/pam.d/$REQSVC" "$JITGATE_URL" request wait=4
	sed -i 's/resource=pamhost/resource=pamreq/' "/etc/pam.d/$REQSVC"
	RQ valgrind
	rq_wait
	expect_denied "request mode: no review in time, denied"
	expect_match "saying the request stays pending" "request req_[A-Za-z0-9_-]* stays pending" "$(cat "$JG_TMP/rq.out")"
	[ "$RC" -eq 99 ] && not_ok "valgrind: the request path is clean" "no error" "$(cat "$JG_TMP/rq.out")" ||
		ok "valgrind: the request path is clean"

	# a session that has expired, or is for another server: sign in again
	put_session
	sed -i 's/"expires_at": "[^"]*"/"expires_at": "2020-01-01T00:00:00Z"/' \
		"$RHOME/.config/jitgate/session"
	RQ
	rq_wait
	expect_denied "an expired session: denied"
	expect_match "(told the session has expired, and to sign in)" \
		"the session has expired.*jitgate login --server" "$(tr '\n' ' ' <"$JG_TMP/rq.out")"
	put_session
	sed -i 's|"server": "[^"]*"|"server": "https://127.0.0.2:1"|' \
		"$RHOME/.config/jitgate/session"
	RQ
	rq_wait
	expect_denied "a session for another server: denied (its secret is not sent here)"
	expect_match "(told so, and to sign in)" \
		"the session is for another server.*jitgate login" "$(tr '\n' ' ' <"$JG_TMP/rq.out")"

	# session files the module must not read
	put_session 0644
	RQ
	rq_wait
	expect_denied "a session file others may read: refused"
	expect_match "(told to sign in)" "jitgate login" "$(cat "$JG_TMP/rq.out")"
	# another user's 0600 file: the module, with alice's file-system
	# ids, cannot even open it
	put_session 0600 "$TUSER"
	RQ
	rq_wait
	expect_denied "a session file owned by another user: refused"
	put_session
	mv "$RHOME/.config/jitgate/session" "$RHOME/.config/jitgate/real"
	ln -s real "$RHOME/.config/jitgate/session"
	RQ
	rq_wait
	expect_denied "a session file that is a symbolic link: refused"
	rm -f "$RHOME/.config/jitgate/session"
	# a link to root's token file: root never opens it for alice
	ln -s "$PAMDIR/token" "$RHOME/.config/jitgate/session"
	RQ
	rq_wait
	expect_denied "a link to a root file: refused"
	expect_no_match "(the token never shows)" "$(cat "$PAMDIR/token")" "$(cat "$JG_TMP/rq.out")"
else
	echo "# skip: the machine has a user alice, request mode not tested"
fi

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
	if [ -n "$RUSER" ]; then
		expect_match "syslog: the request filed" "request req_[A-Za-z0-9_-]* filed for resource=pamreq action=sudo" "$LOG"
		expect_match "syslog: the session file others may read" "refused the session file of user alice: .*mode 0644" "$LOG"
		expect_match "syslog: the session file of another user" "refused the session file of user alice: session file [^ ]*: Permission denied" "$LOG"
		expect_match "syslog: the symbolic link" "refused the session file of user alice: .*symbolic link" "$LOG"
		expect_match "syslog: the denial in request mode" "deny user=alice resource=pamreq action=sudo \\(request mode\\): request req_.* denied" "$LOG"
		if grep -qF "$(sed -n 's/.*"session_token": "\(jgs_[^"]*\)".*/\1/p' "$RSESSION")" "$SYSLOG"; then
			not_ok "syslog never holds alice's session secret" "no secret" "the secret"
		else
			ok "syslog never holds alice's session secret"
		fi
	fi
	if grep -qF "$(cat "$PAMDIR/token")" "$SYSLOG"; then
		not_ok "syslog never holds the token" "no token" "the token"
	else
		ok "syslog never holds the token"
	fi
else
	echo "# skip: the machine runs its own syslog, the log lines are not checked"
fi

jg_finish
