#!/usr/bin/env bash
# test_api_doc.sh - docs/api.yaml cannot drift from the code: every route
# of the table in src/http/routes.c is a documented path and method (and
# nothing documented is missing from the table), every audit event type
# the code records is in the EventType enum (and the enum names none that
# nothing records), and every problem type of src/util/err.h is in the
# Problem schema's enum; the dashboard's audit filter (web/audit.js) offers
# every event type. Reads the sources; starts no server.
# backends: sqlite
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(python3 - "$ROOT" <<'EOF'
import re, sys, yaml

root = sys.argv[1]
def read(p):
    return open(root + "/" + p, encoding="utf-8").read()

api = yaml.safe_load(read("docs/api.yaml"))

# routes: {"GET", "/v1/grants/*/token", fn, FLAGS} -> GET /v1/grants/{x}/token
code = set()
for m, p in re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",', read("src/http/routes.c")):
    code.add((m.lower(), re.sub(r"\*", "{x}", p)))
doc = set()
for p, ops in api["paths"].items():
    for m in ops:
        if m in ("get", "post", "put", "patch", "delete", "head"):
            doc.add((m, re.sub(r"\{[^}]+\}", "{x}", p)))
for m, p in sorted(code - doc):
    print("route-undocumented %s %s" % (m.upper(), p))
for m, p in sorted(doc - code):
    print("route-unknown %s %s" % (m.upper(), p))

# audit event types: the string literals of every jg_gate_audit(...) and
# audit_alone(...) call, to its closing ';' (ternaries name two types)
import glob, os
emitted = set()
call = re.compile(r"\b(?:jg_gate_audit|audit_alone)\s*\(([^;]*);", re.S)
for f in glob.glob(root + "/src/**/*.c", recursive=True):
    text = open(f, encoding="utf-8").read()
    for args in call.findall(text):
        for lit in re.findall(r'"([a-z_]+\.[a-z_]+)"', args):
            emitted.add(lit)
enum = set(api["components"]["schemas"]["EventType"]["enum"])
for t in sorted(emitted - enum):
    print("event-undocumented %s" % t)
for t in sorted(enum - emitted):
    print("event-unknown %s" % t)
# the dashboard's audit filter offers every type
m = re.search(r"var EVENT_TYPES = \[(.*?)\];", read("web/audit.js"), re.S)
offered = set(re.findall(r'"([a-z_.]+)"', m.group(1))) if m else set()
for t in sorted(emitted - offered):
    print("event-not-in-dashboard %s" % t)
for t in sorted(offered - emitted):
    print("event-unknown-in-dashboard %s" % t)
if len(emitted) < 20:
    print("event-scan-broken only %d event types found" % len(emitted))

# problem types: X(NAME, status, "slug", "message") in err.h
slugs = set(re.findall(r'X\(\w+,\s*\d+,\s*"([a-z-]+)"', read("src/util/err.h")))
slugs.discard("ok")
prob = api["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
prob = set(s.rsplit(":", 1)[1] for s in prob)
for s in sorted(slugs - prob):
    print("problem-undocumented %s" % s)
for s in sorted(prob - slugs):
    print("problem-unknown %s" % s)
print("checked %d routes, %d event types, %d problem types" % (len(code), len(emitted), len(slugs)))
EOF
)
printf '%s\n' "$OUT" | sed 's/^/# /'
JG_LAST="compare src/ with docs/api.yaml"
for kind in route event problem; do
	got=$(printf '%s\n' "$OUT" | grep -E "^$kind-" | tr '\n' ';')
	expect_eq "docs/api.yaml and src/ agree on every $kind" "" "$got"
done
expect_match "the scan found the route table and the events" "^checked [0-9]{2,} routes, [0-9]{2,} event" \
	"$(printf '%s\n' "$OUT" | tail -n 1)"
JG_BAILED=1 # no server to stop
jg_finish
