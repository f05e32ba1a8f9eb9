#!/usr/bin/env bash
# test_report.sh - the compliance evidence report (issue 15 section 2)
# against an independent recount: a known mix of automatic grants,
# approvals, a denial, a refused self-approval, break-glass uses (one
# reviewed after), a revocation, a grant ended as done, a policy reload
# and a refused one; then `jitgate report` in JSON, CSV and HTML is
# compared with what python3 counts in `jitgate audit export` and in the
# checkpoint sink. Also: who may fetch it, and bad input is a clear 400.
. "$(dirname "$0")/lib.sh"

SINKDIR=$(mktemp -d "${TMPDIR:-/tmp}/jitgate-sink.XXXXXX") || exit 2
trap 'rm -rf "$SINKDIR"; jg_cleanup' EXIT
SINK=$SINKDIR/checkpoints.ndjson
KEY=$SINKDIR/keys/checkpoint.pem
mkdir -m 700 "$SINKDIR/keys"
[ -z "$JG_AS_USER" ] || chown -R "$JG_SERVE_USER" "$SINKDIR"

write_policy() { # MAX_DURATION of the staging rule
	jg_policy <<EOF
version: 1
groups:
  dba: {members: [alice, bob, carol]}
  oncall: {members: [olga]}
resources:
  staging-db: {labels: {env: staging}, actions: [sql.read]}
  prod-db: {labels: {env: prod}, actions: [sql.read, sql.write]}
rules:
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
    max_duration: $1
    extensions: {auto: 1}
  - name: prod-writes
    match: {labels: {env: prod}}
    steps: [{group: dba, count: 1}]
    max_duration: 2d
    request_ttl: 1h
    break_glass: {group: oncall, max_duration: 30m}
EOF
}
write_policy 1h
JG_SERVE_ARGS="--checkpoint-key $KEY --checkpoint-sink $SINK --checkpoint-every 4 --checkpoint-interval 1"
jg_start
for who in alice bob carol; do jg_token "$who" --group dba; done
jg_token olga --group oncall
jg_token auditor --role auditor
jg_token paul

req_id() { printf '%s' "$OUT" | grep -o 'req_[A-Za-z0-9_-]*' | head -n 1; }
grant_id() { printf '%s' "$OUT" | grep -o 'grt_[A-Za-z0-9_-]*' | head -n 1; }

# --- the known mix ------------------------------------------------------
jg_run alice request staging-db sql.read --reason "nightly report" --duration 30m --ticket OPS-1
expect_rc "alice: an automatic grant" 0
G_AUTO=$(grant_id)
jg_run bob request staging-db sql.read --reason "check a row" --duration 10m
G_AUTO2=$(grant_id)
jg_run alice extend "$G_AUTO" --reason "the report runs late" --duration 10m
expect_rc "alice extends her automatic grant" 0
jg_run alice request prod-db sql.write --reason "fix invoice 42" --duration 36h --ticket INC-42
R_OK=$(req_id)
jg_run alice approve "$R_OK" --comment "mine"
expect_rc "alice may not approve her own request" 2
jg_run bob approve "$R_OK" --comment "looked at the ticket"
expect_rc "bob approves" 0
G_OK=$(grant_id)
[ -n "$G_OK" ] || { jg_run bob --json show "$R_OK"; G_OK=$(json_str grant_id "$OUT"); }
jg_run carol request prod-db sql.write --reason "drop a table" --duration 1h
R_NO=$(req_id)
jg_run bob deny "$R_NO" --comment "no ticket"
expect_rc "bob denies" 0
jg_run olga request prod-db sql.write --break-glass --reason "INC-7 outage" --duration 10m
expect_rc "olga: break-glass" 0
BG1=$(req_id)
jg_run olga request prod-db sql.read --break-glass --reason "INC-8 still down" --duration 10m
BG2=$(req_id)
jg_run bob post-review "$BG1" --comment "checked the fix"
expect_rc "bob post-reviews the first break-glass use" 0
jg_run admin revoke "$G_OK" --reason "work moved to INC-43"
expect_rc "admin revokes alice's prod grant" 0
JITGATE_TOKEN=$(cat "$JG_TMP/tok.bob") "$JITGATE_BIN" done "$G_AUTO2" >/dev/null 2>&1
write_policy 2h
jg_run admin policy reload
expect_rc "a policy reload" 0
printf 'version: [\n' >"$JG_TMP/policy.yaml"
jg_run admin policy reload
expect_rc "a broken policy is refused" 2
write_policy 2h

# wait for the signer to reach the head
jg_run admin --json audit verify
N=$(json_num count "$OUT")
for i in $(seq 1 100); do
	grep -q "\"seq\":$N," "$SINK" 2>/dev/null && break
	sleep 0.1
done

TODAY=$(date -u +%F)
jg_run auditor report --since "$TODAY" --until "$TODAY" --format json -o "$JG_TMP/r.json"
expect_rc "the auditor gets the JSON report" 0
jg_run auditor report --since "$TODAY" --until "$TODAY" --format csv -o "$JG_TMP/r.csv"
expect_rc "the CSV report" 0
jg_run auditor report --since "$TODAY" --until "$TODAY" -o "$JG_TMP/r.html"
expect_rc "the HTML report (the default format)" 0
jg_run admin audit export --since "$TODAY" -o "$JG_TMP/export.ndjson"
expect_rc "the export to recount from" 0

# --- the independent recount ---------------------------------------------
RECOUNT=$(python3 - "$JG_TMP/export.ndjson" "$JG_TMP/r.json" "$JG_TMP/r.csv" "$SINK" <<'PY'
import csv, collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rep = json.load(open(sys.argv[2]))
bad = []
def check(what, want, got):
    if want != got:
        bad.append("%s: want %r got %r" % (what, want, got))
types = collections.Counter(e["type"] for e in events)
s = rep["summary"]
check("events", len(events), s["events"])
for key, t in [("requests_created", "request.created"), ("requests_approved", "request.approved"),
               ("requests_denied", "request.denied"), ("grants_issued", "grant.issued"), ("grants_extended", "grant.extended"),
               ("grants_revoked", "grant.revoked"), ("grants_completed", "grant.completed"),
               ("break_glass_uses", "alert.break_glass"), ("break_glass_reviews", "request.post_reviewed"),
               ("policy_reloads", "policy.reloaded"), ("policy_reloads_refused", "policy.reload_refused"),
               ("reviews_recorded", "review.recorded")]:
    check(key, types[t], s[key])
reqs = {e["subject"]: e for e in events if e["type"] == "request.created"}
approvers = collections.defaultdict(list)
for e in events:
    if e["type"] == "review.recorded" and e["details"]["verdict"] == "approve":
        approvers[e["subject"]].append(e["actor"])
extended = collections.Counter(e["subject"] for e in events if e["type"] == "grant.extended")
expires = {e["subject"]: e["details"]["expires_at"] for e in events if e["type"] in ("grant.issued", "grant.extended")}
ended = {e["subject"]: (e["type"].split(".")[1], e["actor"]) for e in events
         if e["type"] in ("grant.revoked", "grant.completed", "grant.expired")}
bgs = {e["subject"] for e in events if e["type"] == "alert.break_glass"}
want = []
for e in events:
    if e["type"] != "grant.issued":
        continue
    rid = e["details"]["request_id"]
    r = reqs[rid]
    by = approvers[rid] or (["break-glass (self, reviewed after)"] if rid in bgs else ["policy (automatic)"])
    how = ended.get(e["subject"], ("active", None))
    want.append({"grant_id": e["subject"], "request_id": rid, "principal": r["actor"],
                 "resource": r["details"]["resource"], "action": r["details"]["action"],
                 "reason": r["details"]["reason"], "ticket": r["details"].get("ticket"),
                 "approved_by": by, "ended": how[0], "ended_by": how[1],
                 "extensions": extended[e["subject"]], "expires_at": expires[e["subject"]]})
got = [{k: g[k] for k in want[0]} for g in rep["grants"]] if want else rep["grants"]
check("grants", want, got)
reviewed = {e["subject"]: e["actor"] for e in events if e["type"] == "request.post_reviewed"}
check("break_glass", sorted((b, reviewed.get(b)) for b in bgs),
      sorted((b["request_id"], b["reviewed_by"]) for b in rep["break_glass"]))
pol = [(e["seq"], e["actor"], e["details"].get("sha256")) for e in events if e["type"].startswith("policy.reload")]
check("policy_changes", pol, [(p["seq"], p["by"], p["sha256"]) for p in rep["policy_changes"]])
selfrev = [e for e in events if e["type"] == "review.recorded" and reqs.get(e["subject"], {}).get("actor") == e["actor"]]
check("reviews by their requester", len(selfrev), len(rep["self_approvals"]["reviews_by_requester"]))
check("alerts (none raised)", types["alert.raised"], len(rep["alerts"]))
# the CSV: the same grants, the same fields
rows = list(csv.DictReader(open(sys.argv[3], newline="")))
check("csv rows", [g["grant_id"] for g in rep["grants"]], [r["grant_id"] for r in rows])
for g, r in zip(rep["grants"], rows):
    check("csv " + g["grant_id"], (g["principal"], g["reason"], g["ended"], "; ".join(g["approved_by"]), g["ticket"] or ""),
          (r["principal"], r["reason"], r["ended"], r["approved_by"], r["ticket"]))
# the checkpoints of the period: those of the sink, all signed
sink = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
cps = rep["audit"]["checkpoints"]
check("checkpoints", sorted((c["seq"], c["hash"]) for c in sink), [(c["seq"], c["hash"]) for c in cps])
check("checkpoint signatures", True, all(c["signature_ok"] for c in cps) and len(cps) > 0)
check("chain", True, rep["audit"]["chain_ok"])
print("OK" if not bad else "\n".join(bad))
PY
)
expect_eq "the report's numbers and lists match the recount from the export" OK "$RECOUNT"

python3 - "$JG_TMP/r.json" >"$JG_TMP/mix" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["grants"]), len(r["break_glass"]), [b["review"] for b in r["break_glass"]],
      len(r["policy_changes"]), r["summary"]["requests_denied"],
      sorted(g["ended"] for g in r["grants"]),
      sorted(t["principal"] for t in r["standing_privileges"]["tokens_with_roles"]),
      [g["resource"] for g in r["standing_privileges"]["long_grants"]])
PY
expect_eq "the mix as planted: grants, break-glass (one reviewed), policy changes, denial, endings, standing" \
	"5 2 ['reviewed', 'not reviewed'] 2 1 ['active', 'active', 'active', 'completed', 'revoked'] ['admin', 'auditor'] ['prod-db']" \
	"$(cat "$JG_TMP/mix")"

# the report's checkpoints are sink lines: they verify offline, with the
# public key, against the whole trail (docs/compliance.md)
python3 - "$JG_TMP/r.json" >"$JG_TMP/cps.ndjson" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["audit"]["checkpoints"]:
    print(json.dumps({k: c[k] for k in ("seq", "hash", "time", "key_id", "signature")}))
PY
jg_run admin audit export -o "$JG_TMP/trail.ndjson"
jg_run - audit verify --checkpoints "$JG_TMP/cps.ndjson" --public-key "$KEY.pub" -i "$JG_TMP/trail.ndjson"
expect_rc "the report's checkpoints verify offline against the trail" 0
python3 - "$JG_TMP/cps.ndjson" >"$JG_TMP/cps-bad.ndjson" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)
    c["signature"] = ("AA" if c["signature"][:2] != "AA" else "BB") + c["signature"][2:]
    print(json.dumps(c))
PY
jg_run - audit verify --checkpoints "$JG_TMP/cps-bad.ndjson" --public-key "$KEY.pub" -i "$JG_TMP/trail.ndjson"
expect_rc "a changed signature does not" 2

# --- the report's own hash --------------------------------------------------
want=$(grep -o '"report_sha256": "[0-9a-f]*"' "$JG_TMP/r.json" | grep -o '[0-9a-f]\{64\}')
got=$(sed '/^  "report_sha256": /d' "$JG_TMP/r.json" | sha256sum | cut -c1-64)
expect_eq "the JSON report's hash is of the file without its hash line" "$want" "$got"
want=$(grep '^<p id="report-sha256"' "$JG_TMP/r.html" | grep -o '[0-9a-f]\{64\}')
got=$(sed '/^<p id="report-sha256"/d' "$JG_TMP/r.html" | sha256sum | cut -c1-64)
expect_eq "the HTML report's hash is of the file without its hash line" "$want" "$got"
expect_match "the hash is a SHA-256" '^[0-9a-f]{64}$' "$want"
for c in CC6.1 CC6.2 CC6.3 CC7.2 A.5.15 A.5.18 A.8.2 A.8.15 A.8.16; do
	grep -q ">$c<" "$JG_TMP/r.html" || not_ok "the HTML names control $c" "$c" "missing"
done
ok "the HTML names every control"
expect_no_match "the HTML makes no external request" '(src|href)="(https?:)?//' "$(cat "$JG_TMP/r.html")"
expect_no_match "and has no script" '<script' "$(cat "$JG_TMP/r.html")"
expect_no_match "every template slot is filled" '\{\{' "$(cat "$JG_TMP/r.html")"

# --- who may, and bad input -----------------------------------------------
jg_http GET "/v1/report?since=$TODAY&until=$TODAY&format=json" auditor
expect_eq "the auditor fetches it over HTTP" 200 "$CODE"
jg_http GET "/v1/report?since=$TODAY&until=$TODAY&format=json" paul
expect_problem "a plain user may not" 403 forbidden
jg_http GET "/v1/report?since=$TODAY&until=$TODAY&format=json" bob
expect_problem "an approver may not either" 403 forbidden
jg_http GET "/v1/report?since=2026-13-01&until=$TODAY" auditor
expect_problem "a bad date" 400 invalid-request
expect_match "says which and how" "'since' must be a date" "$BODY"
jg_http GET "/v1/report?since=$TODAY&until=$TODAY&format=pdf" auditor
expect_problem "an unknown format" 400 invalid-request
expect_match "names the formats" "format must be html, json or csv" "$BODY"
jg_http GET "/v1/report?since=2026-12-31&until=2026-10-01" auditor
expect_problem "since after until" 400 invalid-request
expect_match "says so" "since must be before until" "$BODY"
jg_http GET "/v1/report?until=$TODAY" auditor
expect_problem "since missing" 400 invalid-request
jg_run auditor report --since "$TODAY" --until "$TODAY" --format xml
expect_rc "the CLI refuses an unknown format" 2
jg_run auditor report --since "$TODAY"
expect_rc "the CLI needs both bounds" 2
jg_run paul report --since "$TODAY" --until "$TODAY" -o "$JG_TMP/p.html"
expect_rc "the CLI as a plain user fails" 2
expect_eq "and leaves no file behind" no "$([ -e "$JG_TMP/p.html" ] && echo yes || echo no)"

jg_finish
