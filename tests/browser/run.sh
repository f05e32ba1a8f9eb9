#!/bin/sh
# tests/browser/run.sh - the dashboard in headless Debian Chromium against
# a real jitgate server. Installs what is missing (Debian chromium, node
# and npm through `scripts/deps browser`; playwright-core from the npm
# registry at the version package-lock.json pins; never a browser
# download; axe-core likewise, for the accessibility checks), runs the
# tests, and ends with the line "N passed, M failed".
# playwright-core is pinned to 1.61.x, the newest that still runs on
# Debian 12's Node 18 (1.62 and later need Node 20).
#
# Usage (any directory): sh tests/browser/run.sh [NAME.test.mjs ...]
# (default: every *.test.mjs here, one after the other)
# Env: JITGATE_BIN (default build/jitgate), JG_CHROMIUM (/usr/bin/chromium).
# Screenshots and the exported CSV go to tests/browser/artifacts/.
# signin.test.mjs also needs the test OpenID Provider's npm packages
# (tests/oidc, npm ci at the version its package-lock.json pins).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

fail() {
	echo "browser: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

JITGATE_BIN=${JITGATE_BIN:-$root/build/jitgate}
case $JITGATE_BIN in
/*) ;;
*) JITGATE_BIN=$root/$JITGATE_BIN ;;
esac
export JITGATE_BIN
if [ ! -x "$JITGATE_BIN" ]; then
	(cd "$root" && make build/jitgate) >&2 || fail "cannot build $JITGATE_BIN"
fi

if [ ! -x "${JG_CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null 2>&1 ||
	! command -v npm >/dev/null 2>&1; then
	sh "$root/scripts/deps" browser >&2 || fail "cannot install chromium/node (scripts/deps browser)"
fi
[ -x "${JG_CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium at ${JG_CHROMIUM:-/usr/bin/chromium}"

cd "$here" || fail "no $here"
# every package at the version package.json pins (playwright-core, and
# axe-core for the accessibility checks), else a clean install
stale=0
for pkg in playwright-core axe-core; do
	want=$(sed -n "s/.*\"$pkg\": *\"\([^\"]*\)\".*/\1/p" package.json | head -n 1)
	have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "node_modules/$pkg/package.json" 2>/dev/null | head -n 1)
	[ "$have" = "$want" ] || stale=1
done
if [ "$stale" = 1 ]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2 ||
		fail "npm ci failed"
fi

# the test OpenID Provider of signin.test.mjs (tests/oidc), as pinned
want=$(sed -n 's/.*"oidc-provider": *"\([^"]*\)".*/\1/p' ../oidc/package.json | head -n 1)
have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' ../oidc/node_modules/oidc-provider/package.json 2>/dev/null | head -n 1)
if [ "$have" != "$want" ]; then
	(cd ../oidc && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
		fail "npm ci in tests/oidc failed"
fi

mkdir -p artifacts
[ $# -gt 0 ] || set -- *.test.mjs
npass=0
nfail=0
for t in "$@"; do
	t=${t##*/}
	out=artifacts/${t%.test.mjs}.log
	node "$t" 2>&1 | tee "$out"
	last=$(tail -n 1 "$out")
	case $last in
	*" passed, "*" failed")
		npass=$((npass + ${last%% passed*}))
		f=${last#*passed, }
		nfail=$((nfail + ${f%% failed*})) ;;
	*) nfail=$((nfail + 1)) ;; # the runner died before its summary
	esac
done
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
