#!/usr/bin/env bash
# test_mail.sh - mail to the approvers of the current step, through a real
# SMTP server on loopback (smtp_sink.py, on Debian's aiosmtpd): STARTTLS
# with a test CA, both parts and the link arrive; a server without TLS
# gets nothing; a refusing one is retried and dead-lettered; a hanging one
# times out and is retried while other targets are still served.
. "$(dirname "$0")/lib.sh"

SINK=$(dirname "$0")/smtp_sink.py
HOOK_SECRET=$JG_TMP/hook.secret
HOOK_LOG=$JG_TMP/hook.log
printf 'a-test-secret-of-enough-length\n' >"$HOOK_SECRET"
: >"$HOOK_LOG"

# a test CA and the sink's certificate for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=jitgate test CA" \
	-keyout "$JG_TMP/ca.key" -out "$JG_TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout "$JG_TMP/smtp.key" -out "$JG_TMP/smtp.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$JG_TMP/san.ext"
openssl x509 -req -in "$JG_TMP/smtp.csr" -CA "$JG_TMP/ca.pem" \
	-CAkey "$JG_TMP/ca.key" -CAcreateserial -days 2 \
	-extfile "$JG_TMP/san.ext" -out "$JG_TMP/smtp.pem" 2>/dev/null ||
	jg_bail "test certificates" "made by openssl" "no"

sink_up() { # MODE [USER:PASSWORD]: sets SMTP_PORT and SMTP_DIR
	SMTP_DIR=$JG_TMP/mail.$1
	mkdir -p "$SMTP_DIR"
	: >"$SMTP_DIR/log"
	jg_start_helper "$JG_TMP/smtp.err" "$SINK" "$SMTP_DIR" "$1" \
		"$JG_TMP/smtp.pem" "$JG_TMP/smtp.key" ${2:+"$2"}
	SMTP_PORT=$JG_HELPER_PORT
}
wait_grep() { # FILE PATTERN [N]: until FILE has N lines matching (30 s)
	for _ in $(seq 1 300); do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}
outbox_until() { # STATE PATTERN: until the outbox has it (60 s)
	for _ in $(seq 1 600); do
		jg_http GET "/v1/outbox?state=$1" admin
		printf '%s' "$BODY" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
serve_with() { # MAIL_URL [MORE ARGS]
	JG_SERVE_ARGS="--mail-url $1 --mail-from jitgate@example.com --mail-cacert $JG_TMP/ca.pem --mail-users $JG_TMP/mail.users --dashboard-url https://jitgate.example ${2:-}"
	jg_start
}

cat >"$JG_TMP/mail.users" <<'EOF2'
carol carol@example.org
EOF2
jg_policy <<'YAML'
version: 1
groups:
  dba: {members: [bob@example.com, carol, dave]}
resources:
  prod-db: {labels: {env: prod}, actions: [sql.write]}
rules:
  - name: prod
    match: {labels: {env: prod}}
    steps: [{group: dba, count: 1}]
    max_duration: 1h
YAML

# --- STARTTLS and AUTH: each approver with an address gets one message ---
printf 'jgmail:smtp-pass-for-tests-42\n' >"$JG_TMP/smtp.credentials"
sink_up starttls 'jgmail:smtp-pass-for-tests-42'
serve_with "smtp://127.0.0.1:$SMTP_PORT" "--mail-credentials-file $JG_TMP/smtp.credentials"
jg_token alice
jg_run alice request prod-db sql.write --reason 'INC-5 <script>alert(1)</script> & more' -q
REQ=$OUT
if wait_grep "$SMTP_DIR/log" 'tls=' 2; then ok "two messages arrived"; else not_ok "two messages arrived" 2 "$(cat "$SMTP_DIR/log" "$JG_TMP/smtp.err")"; fi
expect_eq "both over TLS (STARTTLS)" 2 "$(grep -c 'tls=yes' "$SMTP_DIR/log")"
expect_match "signed in with the credentials file" 'auth ok user=jgmail' "$(cat "$SMTP_DIR/log")"
expect_match "to bob (his name is an address)" 'to=bob@example.com' "$(cat "$SMTP_DIR/log")"
expect_match "to carol (by --mail-users)" 'to=carol@example.org' "$(cat "$SMTP_DIR/log")"
expect_no_match "not to dave (no address)" 'dave' "$(cat "$SMTP_DIR/log")"
msg=$(cat "$SMTP_DIR/1.eml")
expect_match "multipart/alternative" 'multipart/alternative' "$msg"
expect_match "a plain-text part" 'Content-Type: text/plain' "$msg"
expect_match "an HTML part" 'Content-Type: text/html' "$msg"
expect_match "the From address" 'From: jitgate <jitgate@example.com>' "$msg"
expect_match "a Date" 'Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} ' "$msg"
expect_match "a Message-ID" 'Message-ID: <jitgate\.dlv_[0-9]+@example\.com>' "$msg"
expect_match "marked automatic" 'Auto-Submitted: auto-generated' "$msg"
expect_match "the subject names the ask" 'Subject: \[jitgate\] alice asks for sql.write on prod-db' "$msg"
decoded=$(python3 - "$SMTP_DIR/1.eml" <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_type() in ("text/plain", "text/html"):
        print("PART", p.get_content_type())
        print(p.get_payload(decode=True).decode())
PY
)
expect_match "the link to the request" "https://jitgate.example/#/requests/$REQ" "$decoded"
expect_match "the HTML escapes the reason" '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; more' "$decoded"
html=$(printf '%s' "$decoded" | sed -n '/^PART text\/html/,$p')
expect_no_match "no raw <script> in the HTML part" '<script>' "$html"
outbox_until delivered '"target":"mail"' && ok "the outbox shows the mail delivered" ||
	not_ok "outbox: mail delivered" "a delivered mail row" "$BODY"
if grep -q 'smtp-pass-for-tests-42' "$JG_TMP/server.log"; then not_ok "the SMTP password is never logged" absent "in server.log"; else ok "the SMTP password is never logged"; fi
jg_stop

# --- implicit TLS (smtps://) ---
sink_up smtps
serve_with "smtps://127.0.0.1:$SMTP_PORT"
jg_run alice request prod-db sql.write --reason 'INC-5b' -q
if wait_grep "$SMTP_DIR/log" 'tls=yes' 2; then ok "smtps: both messages arrived over TLS"; else not_ok "smtps: arrived" 2 "$(cat "$SMTP_DIR/log" "$JG_TMP/smtp.err")"; fi
jg_stop

# --- a server without TLS: nothing is sent in clear text ---
sink_up plain
serve_with "smtp://127.0.0.1:$SMTP_PORT"
jg_run alice request prod-db sql.write --reason 'INC-6' -q
if outbox_until pending '"target":"mail".*"last_error":"[^"]+'; then
	ok "no STARTTLS: the delivery fails and waits"
else
	not_ok "no STARTTLS: fails" "a pending mail with an error" "$BODY"
fi
expect_match "no STARTTLS: the error says TLS was refused" '"last_error":"[^"]*(STARTTLS|TLS)' "$BODY"
expect_eq "no STARTTLS: no message taken" 0 "$(grep -c 'tls=' "$SMTP_DIR/log")"
jg_stop

# --- a refusing server: retried, then dead-lettered ---
sink_up refuse
serve_with "smtp://127.0.0.1:$SMTP_PORT" "--notify-attempts 2"
jg_run alice request prod-db sql.write --reason 'INC-7' -q
if outbox_until dead '"target":"mail"'; then ok "refused: dead-lettered after the attempts"; else not_ok "refused: dead" "a dead mail row" "$BODY"; fi
expect_match "refused: the last error names the 550" '"last_error":"[^"]*RCPT failed: 550' "$BODY"
expect_match "refused: tried twice" '"attempts":2' "$BODY"
if [ "$(grep -c '^refused' "$SMTP_DIR/log")" -ge 1 ]; then ok "refused: the server refused the recipient"; else not_ok "refused: seen" ">= 1 refusal" "$(cat "$SMTP_DIR/log")"; fi
jg_stop

# --- a hanging server: timed out and retried; other targets still go ---
sink_up hang
jg_start_helper "$JG_TMP/hook.err" "$(dirname "$0")/webhook_listener.py" \
	"$HOOK_SECRET" "$HOOK_LOG"
serve_with "smtp://127.0.0.1:$SMTP_PORT" "--slack-url http://127.0.0.1:$JG_HELPER_PORT/slack"
jg_run alice request prod-db sql.write --reason 'INC-8' -q
REQ8=$OUT
if outbox_until pending "\"target\":\"mail\",[^}]*\"subject\":\"$REQ8\"[^}]*\"attempts\":[1-9][^}]*\"last_error\":\"[^\"]*timed out"; then
	ok "hang: the delivery timed out and waits for a retry"
else
	not_ok "hang: timed out" "a pending mail with a timeout" "$BODY"
fi
if wait_grep "$HOOK_LOG" "$REQ8"; then ok "hang: the Slack notice still went out (no stuck worker)"; else not_ok "hang: slack delivered" "the notice" "$(cat "$HOOK_LOG")"; fi
if wait_grep "$SMTP_DIR/log" 'hung a connection' 4; then ok "hang: retried (new connections)"; else not_ok "hang: retried" ">= 4 connections (2 approvers, 2 tries)" "$(cat "$SMTP_DIR/log")"; fi
jg_finish
