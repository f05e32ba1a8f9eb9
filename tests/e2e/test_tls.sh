#!/usr/bin/env bash
# test_tls.sh - transport: native TLS and trusted proxies, through the
# real daemon, the real CLI, curl and openssl.
#
# The test makes its own CA and certificates with the openssl CLI (one for
# 127.0.0.1/localhost, one for another host name, one that expired in
# 2020, made under faketime), then checks: bad certificate files refused
# at start naming the file; the CLI verifies with --cacert and with
# JITGATE_CACERT and refuses without them, and refuses the wrong host and
# the expired certificate with clear messages; HSTS over TLS; TLS 1.1 and
# CBC ciphers refused, TLS 1.2 and 1.3 accepted; SIGHUP serves a new
# certificate to new connections while a kept-alive connection goes on,
# and a bad file keeps the old one. Then, over plain HTTP:
# X-Forwarded-For counts only from a --trusted-proxy peer, for source
# screening and the request's context.
#
# The transport is the same whatever the store, so one backend suffices.
# backends: sqlite
. "$(dirname "$0")/lib.sh"

PKI=$JG_TMP/pki
mkdir -p "$PKI"

# live NAME: NAME's certificate and key become the served pair. A reload
# (SIGHUP) reads them as the service user the server dropped to.
live() {
	cp "$PKI/$1.pem" "$PKI/live.pem"
	cp "$PKI/$1.key" "$PKI/live.key"
	[ -z "$JG_AS_USER" ] || chown "$JG_SERVE_USER" "$PKI/live.pem" "$PKI/live.key"
}

pki() { # openssl ARGS... (quiet; bails when it fails)
	openssl "$@" >>"$PKI/log" 2>&1 || jg_bail "openssl $1" "the PKI made" "$(tail -n 3 "$PKI/log")"
}

# sign NAME SAN [FAKETIME]: a P-256 key and a server certificate for SAN,
# signed by the test CA (issued at FAKETIME, valid 2 days, when given).
sign() {
	local when=${3:-}
	pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key"
	pki req -new -key "$PKI/$1.key" -subj "/CN=$1" -out "$PKI/$1.csr"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
		"$2" >"$PKI/$1.ext"
	if [ -n "$when" ]; then
		faketime "$when" openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" \
			-CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
			-extfile "$PKI/$1.ext" -out "$PKI/$1.pem" >>"$PKI/log" 2>&1 ||
			jg_bail "faketime openssl x509" "an expired certificate" "$(tail -n 3 "$PKI/log")"
	else
		pki x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
			-CAcreateserial -days 30 -extfile "$PKI/$1.ext" -out "$PKI/$1.pem"
	fi
}

pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/ca.key"
pki req -x509 -new -key "$PKI/ca.key" -subj "/CN=jitgate test CA" -days 30 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	-out "$PKI/ca.pem"
sign first 'DNS:localhost,IP:127.0.0.1'
sign second 'DNS:localhost,IP:127.0.0.1'
sign wrong 'DNS:wrong.example'
sign expired 'DNS:localhost,IP:127.0.0.1' '2020-01-01 00:00:00'

fpr() { # FILE: its SHA-256 fingerprint, lowercase hex without colons
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# The fingerprint of the certificate a new connection to the server sees.
served_fpr() {
	openssl s_client -connect "${JITGATE_URL#https://}" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# Wait (bounded) until the server log holds PATTERN at least N times.
wait_log() { # PATTERN N
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c -- "$1" "$JG_TMP/server.log")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

jg_policy <<'EOF'
version: 1
resources:
  lab: {labels: {env: lab}, actions: [read]}
  net-db: {labels: {env: net}, actions: [read]}
rules:
  - name: lab
    match: {resource: lab}
    decision: auto
  - name: from-the-office
    match: {resource: net-db}
    checks:
      source: {cidrs: [10.0.0.0/8], mode: enforce}
    decision: auto
EOF

# --- bad files refused at start, naming the file -------------------------

serve_once() { # ARGS...: a serve that must not start
	JG_LAST="jitgate serve $*"
	"$JITGATE_BIN" serve --listen 127.0.0.1:0 --db "$JG_TMP/refused.db" \
		--policy "$JG_TMP/policy.yaml" $JG_AS_USER "$@" >"$JG_TMP/out" 2>"$JG_TMP/err"
	RC=$?
	ERR=$(cat "$JG_TMP/err")
}

printf 'not a certificate\n' >"$PKI/garbage.pem"
serve_once --tls-cert "$PKI/garbage.pem" --tls-key "$PKI/first.key"
expect_rc "a garbage certificate file is refused at start" 2
expect_match "naming the file" "^jitgate: TLS: $PKI/garbage.pem: not a PEM certificate chain" "$ERR"
serve_once --tls-cert "$PKI/first.pem" --tls-key "$PKI/missing.key"
expect_rc "a missing key file is refused at start" 2
expect_match "naming the file" "^jitgate: TLS: cannot read $PKI/missing.key: No such file" "$ERR"
serve_once --tls-cert "$PKI/first.pem" --tls-key "$PKI/second.key"
expect_rc "a key of another certificate is refused at start" 2
expect_match "naming both files" "the key in $PKI/second.key is not the key of the certificate in $PKI/first.pem" "$ERR"
serve_once --tls-cert "$PKI/first.pem"
expect_rc "a certificate without its key is refused" 2
expect_match "saying both go together" "--tls-cert and --tls-key go together" "$ERR"
serve_once --trusted-proxy 10.0.0.1/8
expect_rc "a bad --trusted-proxy is refused at start" 2
expect_match "naming it and why" "^jitgate: --trusted-proxy '10.0.0.1/8' has host bits set \(did you mean 10.0.0.0/8\?\)" "$ERR"
expect_eq "nothing was created" "" "$(ls "$JG_TMP"/refused.db* 2>/dev/null)"

# --- the server over TLS --------------------------------------------------

live first
JG_CACERT=$PKI/ca.pem
JG_SERVE_ARGS="--tls-cert $PKI/live.pem --tls-key $PKI/live.key"
jg_start
expect_match "the server says https" "listening on https://127\.0\.0\.1:" "$(cat "$JG_TMP/server.log")"
expect_match "and logs the certificate's fingerprint" "TLS certificate $PKI/live.pem \(sha256 $(fpr "$PKI/first.pem")\)" \
	"$(cat "$JG_TMP/server.log")"

jg_run admin --cacert "$PKI/ca.pem" whoami
expect_rc "the CLI verifies with --cacert" 0
export JITGATE_CACERT=$PKI/ca.pem
jg_run admin whoami
expect_rc "and with JITGATE_CACERT" 0
unset JITGATE_CACERT
jg_run admin whoami
expect_rc "without the CA the CLI refuses" 2
expect_one_error_line "in one line"
expect_match "saying why and what to do" \
	"^jitgate: cannot verify the server's certificate for 127\.0\.0\.1: .*(unable to get local issuer|self.signed).* \(give --cacert FILE or JITGATE_CACERT\)$" "$ERR"
jg_run admin --cacert "$PKI/nothere.pem" whoami
expect_rc "a missing --cacert file is refused" 2
expect_match "naming it" "^jitgate: cannot read the CA file $PKI/nothere.pem: No such file" "$ERR"

HDRS=$(curl -sS --cacert "$PKI/ca.pem" -D - -o /dev/null "$JITGATE_URL/healthz")
expect_match "HSTS on an answer over TLS" $'^Strict-Transport-Security: max-age=31536000\r?$' "$HDRS"
jg_http GET /v1/requests -
expect_eq "and on a refusal" 401 "$CODE"
HDRS=$(curl -sS --cacert "$PKI/ca.pem" -D - -o /dev/null "$JITGATE_URL/v1/requests")
expect_match "(its header)" $'^Strict-Transport-Security: max-age=31536000\r?$' "$HDRS"

# Versions and ciphers: the client offers exactly one; the server must
# take or refuse it. SECLEVEL=0 lets OpenSSL offer TLS 1.1 at all.
hello() { # ARGS...: the "New, ..." line of a handshake
	openssl s_client -connect "${JITGATE_URL#https://}" -CAfile "$PKI/ca.pem" "$@" </dev/null 2>/dev/null |
		grep -m1 '^New, '
}
expect_eq "TLS 1.1 is refused" "New, (NONE), Cipher is (NONE)" "$(hello -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')"
expect_match "TLS 1.2 is accepted, with an AEAD cipher" "^New, TLSv1\.2, Cipher is ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$" \
	"$(hello -tls1_2)"
expect_match "TLS 1.3 is accepted" "^New, TLSv1\.3, Cipher is TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$" \
	"$(hello -tls1_3)"
expect_eq "a CBC cipher in TLS 1.2 is refused" "New, (NONE), Cipher is (NONE)" "$(hello -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)"

# --- SIGHUP: a new certificate; a kept-alive connection goes on ------------

expect_eq "the first certificate is served" "$(fpr "$PKI/first.pem")" "$(served_fpr)"
live second
# One connection: a request, the reload, a second request on it; then a
# new connection. Prints "first-answer second-answer old-fpr new-fpr".
KEEP=$(python3 - "${JITGATE_URL#https://}" "$JG_PID" "$JG_TMP/server.log" "$PKI/ca.pem" <<'EOF'
import hashlib, os, signal, socket, ssl, sys, time
host, port = sys.argv[1].rsplit(":", 1)
ctx = ssl.create_default_context(cafile=sys.argv[4])
def conn():
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=20), server_hostname=host)
    return s, s.makefile("rb")
def get(s, f):
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status = f.readline().split()[1].decode()
    n = 0
    while True:
        line = f.readline().strip()
        if not line:
            break
        k, v = line.split(b":", 1)
        if k.lower() == b"content-length":
            n = int(v)
    f.read(n)
    return status
def fpr(s):
    return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()
s, f = conn()
a = get(s, f)
os.kill(int(sys.argv[2]), signal.SIGHUP)
for _ in range(100):  # bounded wait for the reload to be logged
    if b"TLS certificate reloaded" in open(sys.argv[3], "rb").read():
        break
    time.sleep(0.1)
b = get(s, f)
t, g = conn()
print(a, b, fpr(s), fpr(t))
EOF
)
expect_eq "a kept-alive connection is not dropped by the reload, and keeps its certificate; a new one sees the new" \
	"200 200 $(fpr "$PKI/first.pem") $(fpr "$PKI/second.pem")" "$KEEP"
expect_match "the reload is logged with the new fingerprint" \
	"TLS certificate reloaded \(sha256 $(fpr "$PKI/second.pem")\)" "$(cat "$JG_TMP/server.log")"
jg_run admin whoami --cacert "$PKI/ca.pem"
expect_rc "the CLI works after the reload" 0

printf 'not a certificate\n' >"$PKI/live.pem"
kill -HUP "$JG_PID"
wait_log "TLS certificate not reloaded" 1
expect_match "a bad file on SIGHUP is logged, naming it" \
	"TLS certificate not reloaded, the old one stays: $PKI/live.pem: not a PEM certificate chain" "$(cat "$JG_TMP/server.log")"
expect_eq "and the old certificate stays" "$(fpr "$PKI/second.pem")" "$(served_fpr)"
jg_run admin whoami --cacert "$PKI/ca.pem"
expect_rc "the server still answers" 0

# --- the CLI refuses a wrong host name and an expired certificate ----------

swap() { # NAME: serve NAME's certificate (reload N is the Nth)
	live "$1"
	kill -HUP "$JG_PID"
	wait_log "TLS certificate reloaded (sha256 $(fpr "$PKI/$1.pem"))" 1 ||
		jg_bail "reload to $1" "logged" "$(tail -n 3 "$JG_TMP/server.log")"
}
swap wrong
jg_run admin whoami --cacert "$PKI/ca.pem"
expect_rc "a certificate for another host name is refused" 2
expect_one_error_line "in one line"
expect_match "saying so" \
	"^jitgate: cannot verify the server's certificate for 127\.0\.0\.1: .*(no alternative certificate subject name matches target host name '127\.0\.0\.1'|host name)" "$ERR"
swap expired
jg_run admin whoami --cacert "$PKI/ca.pem"
expect_rc "an expired certificate is refused" 2
expect_match "saying so" \
	"^jitgate: cannot verify the server's certificate for 127\.0\.0\.1: .*certificate has expired$" "$ERR"
swap first
jg_run admin whoami --cacert "$PKI/ca.pem"
expect_rc "a good certificate again" 0
jg_stop

# --- behind a proxy (plain HTTP) -----------------------------------------

JG_CACERT=
ASK='{"resource":"net-db","action":"read","reason":"from the office"}'
# A request for net-db (source must be in 10.0.0.0/8) with an
# X-Forwarded-For header: sets STATE and SRC (the context's source_ip).
via() { # XFF [CURL ARGS...]
	local xff=$1 id
	shift
	JG_LAST="POST /v1/requests X-Forwarded-For: $xff $*"
	BODY=$(curl -sS "$@" -H "@$JG_TMP/hdr.admin" -H 'Content-Type: application/json' \
		-H "X-Forwarded-For: $xff" --data-binary "$ASK" "$JITGATE_URL/v1/requests")
	STATE=$(json_str state "$BODY")
	id=$(json_str id "$BODY")
	jg_run admin --json show "$id"
	SRC=$(json_str source_ip "$OUT")
}

JG_SERVE_ARGS=
jg_start
HDRS=$(curl -sS -D - -o /dev/null "$JITGATE_URL/healthz")
expect_no_match "no HSTS over plain HTTP" "Strict-Transport-Security" "$HDRS"
via 10.1.2.3
expect_eq "without --trusted-proxy the header is ignored: denied" denied "$STATE"
expect_eq "the context has the TCP peer" 127.0.0.1 "$SRC"
jg_stop

JG_SERVE_ARGS="--trusted-proxy 127.0.0.1/32"
jg_start
via 10.1.2.3
expect_eq "from a trusted proxy the header names the client: approved" approved "$STATE"
expect_eq "the context has the real client" 10.1.2.3 "$SRC"
jg_run admin --json audit list --type request.created
expect_match "and so has the audit trail" '"source_ip":"10\.1\.2\.3"' "$OUT"
via "10.1.2.3, 192.0.2.7"
expect_eq "the right-most untrusted entry is the client: denied" denied "$STATE"
expect_eq "(it)" 192.0.2.7 "$SRC"
via "10.1.2.3, 127.0.0.1"
expect_eq "trusted hops are skipped" 10.1.2.3 "$SRC"
via 10.1.2.3 --interface 127.0.0.2
expect_eq "a spoofed header from an untrusted peer is ignored: denied" denied "$STATE"
expect_eq "the context has that peer" 127.0.0.2 "$SRC"
via "not-an-address"
expect_eq "a proxy that passes on no address: the client is unknown, denied" denied "$STATE"

jg_finish
