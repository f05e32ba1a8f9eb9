# tests/oidc/lib.sh - the test OpenID Provider (provider.mjs, npm
# oidc-provider) for shell tests: install it, start it on a free loopback
# port, stop it. Source it after tests/e2e/lib.sh (it uses JG_TMP,
# JG_BG_PIDS and jg_bail when they exist) or on its own.
#
#   jg_oidc_install          node/npm (scripts/deps), then npm ci when the
#                            pinned oidc-provider is not installed yet
#   jg_oidc_start [ARGS...]  start it (ARGS go to provider.mjs, e.g.
#                            --redirect URL); waits for its ready file;
#                            sets JG_OIDC_URL (the issuer), JG_OIDC_PORT,
#                            JG_OIDC_PID; its log is $JG_OIDC_DIR/provider.log
#   jg_oidc_stop             stop it (also done by the e2e exit trap)
#   jg_oidc_rotate [drop]    a new signing key (drop: the old one goes)
#   jg_oidc_tamper JSON      the next ID token changed: {"set":{..},"unset":[..]}
#
# The client: id "jitgate", secret "jitgate-test-secret" (JG_OIDC_SECRET),
# any http(s)://127.0.0.1:PORT/v1/auth/oidc/callback redirect allowed
# unless --redirect is given. Users: see USERS in provider.mjs (password
# "<name>-pw"; carol's MFA code 123456, frank's 654321).

JG_OIDC_HOME=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
JG_OIDC_CLIENT=jitgate
JG_OIDC_SECRET=jitgate-test-secret

jg_oidc_fail() {
	if command -v jg_bail >/dev/null 2>&1; then
		jg_bail "test OpenID Provider" "$1" "${2:-no}"
	fi
	echo "oidc: $1: ${2:-}" >&2
	return 1
}

jg_oidc_install() {
	local root want have
	root=$(cd "$JG_OIDC_HOME/../.." && pwd)
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		sh "$root/scripts/deps" >&2 || { jg_oidc_fail "node and npm installed" "scripts/deps failed"; return 1; }
	fi
	want=$(sed -n 's/.*"oidc-provider": *"\([^"]*\)".*/\1/p' "$JG_OIDC_HOME/package.json" | head -n 1)
	have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
		"$JG_OIDC_HOME/node_modules/oidc-provider/package.json" 2>/dev/null | head -n 1)
	if [ "$have" != "$want" ]; then
		(cd "$JG_OIDC_HOME" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
			{ jg_oidc_fail "npm ci in tests/oidc" "failed"; return 1; }
	fi
}

jg_oidc_start() {
	local i
	JG_OIDC_DIR=${JG_TMP:-$(mktemp -d "${TMPDIR:-/tmp}/jitgate-oidc.XXXXXX")}/oidc
	mkdir -p "$JG_OIDC_DIR"
	rm -f "$JG_OIDC_DIR/ready"
	node "$JG_OIDC_HOME/provider.mjs" --port 0 --ready "$JG_OIDC_DIR/ready" \
		--client-id "$JG_OIDC_CLIENT" --client-secret "$JG_OIDC_SECRET" "$@" \
		>>"$JG_OIDC_DIR/provider.log" 2>&1 &
	JG_OIDC_PID=$!
	JG_BG_PIDS="${JG_BG_PIDS:-} $JG_OIDC_PID"
	for i in $(seq 1 300); do
		if [ -s "$JG_OIDC_DIR/ready" ]; then
			JG_OIDC_PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$JG_OIDC_DIR/ready")
			JG_OIDC_URL=http://127.0.0.1:$JG_OIDC_PORT
			export JG_OIDC_URL JG_OIDC_PORT
			return 0
		fi
		kill -0 "$JG_OIDC_PID" 2>/dev/null || break
		sleep 0.1
	done
	jg_oidc_fail "provider listens (ready file)" "$(tail -n 5 "$JG_OIDC_DIR/provider.log")"
}

jg_oidc_stop() {
	[ -n "${JG_OIDC_PID:-}" ] || return 0
	kill "$JG_OIDC_PID" 2>/dev/null
	wait "$JG_OIDC_PID" 2>/dev/null
	JG_OIDC_PID=
}

jg_oidc_rotate() {
	local q=
	[ "${1:-}" = drop ] && q='?drop=1'
	curl -fsS -X POST "$JG_OIDC_URL/admin/rotate$q"
}

jg_oidc_tamper() {
	curl -fsS -X POST --data "$1" "$JG_OIDC_URL/admin/tamper" >/dev/null
}
