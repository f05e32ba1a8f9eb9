#!/bin/bash
# bench/exec_load.sh - /v1/check latency while the gateway runs actions.
#
#   BUILD=build bash bench/exec_load.sh [N]     (bench/run calls it too)
#
# Starts `jitgate serve` (4 HTTP workers, the default) on a free loopback
# port with a command connector whose program sleeps, makes one live
# grant, then asks POST /v1/check about it N times (default 2000), one at a
# time on one kept-alive connection, twice: idle, and while eight
# `jitgate exec` actions sleep on the execution pool (more than the HTTP
# workers: before the pool, those eight held every worker and no check
# was answered until an action ended). Prints p50/p99 of both side by
# side, and one RESULT line for bench/report.mjs. Every answer must be
# 200 and allow, and the eight actions must all still be asleep when the
# second series ends and succeed afterwards; otherwise it fails (exit 1).
# Never a timed assertion. Scratch files in $BENCH_TMP (or a temp dir),
# the server stopped by its PID.
set -u -o pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
BIN=$BUILD/jitgate
N=${1:-2000}
SLEEP=10 # seconds: the actions outlast the series by far
T=$(mktemp -d "${BENCH_TMP:-/tmp}/exec-load.XXXXXX") || exit 2
PID=
CLIS=

finish() {
	local p
	for p in $CLIS; do kill "$p" 2>/dev/null; done
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap finish EXIT
fail() { echo "exec_load: $*"; tail -n 5 "$T/server.log" 2>/dev/null; exit 1; }

cat >"$T/nap.sh" <<'SH'
#!/bin/sh
echo start >>"$1"
sleep "$2"
echo end >>"$1"
SH
chmod +x "$T/nap.sh"
: >"$T/runs.log"
cat >"$T/policy.yaml" <<'YAML'
version: 1
resources:
  box: {actions: [read]}
  sleepy: {actions: [run]}
rules:
  - name: everything
    match: {resource: '*'}
    decision: auto
    max_duration: 1h
YAML
cat >"$T/connectors.yaml" <<YAML
version: 1
resources:
  sleepy:
    type: command
    program: $T/nap.sh
    args: ['$T/runs.log', '$SLEEP']
    timeout: 60s
YAML

# as root, jitgate serves as nobody (--user), which must own T
AS_USER=
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$T"
	AS_USER="--user nobody"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
JITGATE_KEYS_DIR=$T/keys "$BIN" serve --listen "127.0.0.1:$port" --db "$T/j.db" \
	--policy "$T/policy.yaml" --connectors "$T/connectors.yaml" \
	--bootstrap-token-file "$T/admin.token" $AS_USER >"$T/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
	curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
	sleep 0.1
done
export JITGATE_URL=http://127.0.0.1:$port
ADMIN=$(cat "$T/admin.token") || fail "the server did not start"
ALICE=$(JITGATE_TOKEN=$ADMIN "$BIN" token create alice -q) || fail "no token for alice"
JITGATE_TOKEN=$ALICE "$BIN" request box read --reason "bench grant" -q >/dev/null ||
	fail "no grant to check"

# series [COUNT]: COUNT (N) checks, one at a time on one connection;
# prints p50 p99 (ms)
series() {
	python3 - "$port" "$ADMIN" "${1:-$N}" <<'PY'
import http.client, json, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = json.dumps({"principal": "alice", "resource": "box", "action": "read"})
hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
lat = []
for _ in range(n):
    t0 = time.perf_counter()
    c.request("POST", "/v1/check", body, hdrs)
    r = c.getresponse()
    data = r.read()
    lat.append((time.perf_counter() - t0) * 1000)
    if r.status != 200 or json.loads(data).get("allow") is not True:
        sys.exit("check answered %d: %s" % (r.status, data[:200]))
lat.sort()
print("%.3f %.3f" % (lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]))
PY
}

series 200 >/dev/null || fail "warm-up series"
idle=$(series) || fail "idle series: $idle"
for i in 1 2 3 4 5 6 7 8; do
	JITGATE_TOKEN=$ALICE "$BIN" exec sleepy run --reason "bench action $i" \
		>/dev/null 2>"$T/exec.$i.err" &
	CLIS="$CLIS $!"
done
for _ in $(seq 1 200); do
	[ "$(grep -c start "$T/runs.log")" -ge 8 ] && break
	sleep 0.1
done
[ "$(grep -c start "$T/runs.log")" -ge 8 ] || fail "the eight actions did not all start"
busy=$(series) || fail "series with eight actions running: $busy"
[ "$(grep -c end "$T/runs.log")" = 0 ] || fail "an action ended during the series"
for p in $CLIS; do
	wait "$p" || fail "an action did not succeed: $(cat "$T"/exec.*.err | tail -n 3)"
done
CLIS=

read -r i50 i99 <<<"$idle"
read -r b50 b99 <<<"$busy"
printf '%-44s %10s %10s\n' "POST /v1/check, one connection, $N calls" "p50 ms" "p99 ms"
printf '%-44s %10s %10s\n' "  idle" "$i50" "$i99"
printf '%-44s %10s %10s\n' "  eight 'sleep' actions running (4 workers)" "$b50" "$b99"
echo "RESULT {\"bench\":\"exec_load\",\"calls\":$N,\"idle_p50_ms\":$i50,\"idle_p99_ms\":$i99,\"busy_p50_ms\":$b50,\"busy_p99_ms\":$b99}"
