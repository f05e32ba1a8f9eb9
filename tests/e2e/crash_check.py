#!/usr/bin/env python3
"""Check a jitgate database after crashes against what clients were told.

usage: crash_check.py [--loop] (--sqlite PATH | --pg URL --psql PSQL) ACK_LOG...

Reads one consistent snapshot of the database (a read transaction) and
the acknowledgement logs of crash_client.py, and prints one line per
violation, then a summary line "checked: ..."; exits 1 when any. With
--loop it stays up and checks again for each line on stdin, ending each
answer with "END N" (N violations); the logs are then read incrementally.

Acknowledged changes are all there:
  - every acknowledged request exists; an acknowledged final state
    (approved, denied, cancelled) is its state now;
  - every acknowledged review is recorded, with its verdict;
  - every acknowledged grant exists; an acknowledged end (revoked, done)
    is its state now; every acknowledged token exists.
Nothing is half-written (every row of the database, acknowledged or not):
  - each request has exactly one request.created event; an approved one
    exactly one request.approved event and one grant, a denied one a
    request.denied event, a cancelled one request.cancelled, an expired
    one request.expired;
  - each grant belongs to an approved request and has exactly one
    grant.issued event; a revoked, completed or expired grant exactly one
    grant.revoked / grant.completed / grant.expired event;
  - each review has its review.recorded event (same request, reviewer)
    and each review.recorded event its review;
  - each token has its token.created event;
  - no request.*, grant.* or token.created event names a missing row;
  - the audit sequence is 1..N without gaps.
No grant outlived its expiry or its end:
  - a check that allowed a grant was sent before the grant's expires_at
    (the server's clock reads whole seconds, a few ms behind the
    clients': sent at t0, allowed only when t0 - 0.02 s < expires_at),
    and not after its acknowledged revoke or done came back; the grant
    it named exists.
Clients got no unexpected answer (no 5xx, no 4xx but benign conflicts).
"""
import calendar
import csv
import io
import json
import re
import subprocess
import sys
import time

QUERIES = {
    "requests": "SELECT id, state, resource FROM requests",
    "reviews": "SELECT request_id, reviewer, approve FROM reviews",
    "grants": "SELECT id, request_id, state, expires_at FROM grants",
    "audit": "SELECT seq, type, subject, actor FROM audit",
    "tokens": "SELECT id FROM tokens",
}
ID = re.compile(r"^[a-z]{3}_[0-9a-z]{1,40}$")
# The server reads the clock with time(2), which on Linux lags the
# precise clock the clients read (CLOCK_REALTIME) by up to a timer tick
# (a few ms): a check sent at t0 is past its grant's expiry for sure only
# when t0 - CLOCK_SLACK >= expires_at.
CLOCK_SLACK = 0.02


def queries(scope):
    """The snapshot's queries: every row, or (scope = (last_seq, ids)) the
    rows an incremental check needs: those named by the ids given and by
    events after last_seq, their requests' grants and their grants'
    requests, and every event about any of them (ids are checked against
    ID before they go into the SQL text)."""
    if scope is None:
        return {k: q + (" ORDER BY seq" if k == "audit" else "")
                for k, q in QUERIES.items()}
    last, ids = scope
    ids = sorted(i for i in ids if ID.match(i))
    given = ""
    if ids:
        given = (" UNION SELECT column1 FROM (VALUES %s) AS v"
                 % ",".join("('%s')" % i for i in ids))
    s = "(SELECT subject FROM audit WHERE seq > %d%s)" % (last, given)
    req = ("(SELECT id FROM requests WHERE id IN %s UNION SELECT request_id"
           " FROM grants WHERE id IN %s)" % (s, s))
    grt = ("(SELECT id FROM grants WHERE id IN %s OR request_id IN %s)"
           % (s, req))
    return {
        "requests": QUERIES["requests"] + " WHERE id IN " + req,
        "reviews": QUERIES["reviews"] + " WHERE request_id IN " + req,
        "grants": QUERIES["grants"] + " WHERE id IN " + grt,
        "tokens": QUERIES["tokens"] + " WHERE id IN " + s,
        "audit": (QUERIES["audit"] + " WHERE seq > %d OR subject IN %s OR "
                  "subject IN %s OR subject IN %s ORDER BY seq"
                  % (last, req, grt, s)),
    }


def snapshot_sqlite(path, scope):
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
    db.execute("BEGIN")
    out = {k: db.execute(q).fetchall() for k, q in queries(scope).items()}
    db.rollback()
    db.close()
    return out


def snapshot_pg(url, psql, scope):
    script = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"]
    for k, q in queries(scope).items():
        script.append("\\echo ==%s" % k)
        script.append("COPY (%s) TO STDOUT WITH (FORMAT csv);" % q)
    script.append("COMMIT;")
    text = subprocess.run([psql, "-qAtX", "-v", "ON_ERROR_STOP=1", url],
                          input="\n".join(script), capture_output=True,
                          text=True, check=True).stdout
    out, cur = {k: [] for k in QUERIES}, None
    for row in csv.reader(io.StringIO(text)):
        if len(row) == 1 and row[0].startswith("=="):
            cur = row[0][2:]
            continue
        if cur:
            out[cur].append(row)
    return out


def rfc3339(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


class Acks:
    """The acknowledgement logs, read incrementally (complete lines only).
    Only what is new is kept in memory; a full check reads the files
    again, so a soak run's millions of lines never sit in memory."""

    def __init__(self, paths):
        self.paths = paths
        self.off = {p: 0 for p in paths}  # complete lines read so far

    def new(self):
        """The acknowledgements logged since the last call."""
        out = []
        for p in self.paths:
            with open(p, "rb") as f:
                f.seek(self.off[p])
                data = f.read()
            end = data.rfind(b"\n") + 1
            self.off[p] += end
            out.extend(json.loads(line) for line in data[:end].split(b"\n")
                       if line)
        return out

    def every(self):
        """Every acknowledgement up to where new() got, one at a time."""
        for p in self.paths:
            with open(p, "rb") as f:
                left = self.off[p]
                for line in f:
                    left -= len(line)
                    if left < 0:
                        break
                    if line.strip():
                        yield json.loads(line)


def main(argv):
    loop = argv[0] == "--loop"
    if loop:
        argv = argv[1:]
    logs = argv[2:] if argv[0] == "--sqlite" else argv[4:]
    ctx = {"acks": Acks(logs), "last_seq": 0, "ended": {}}
    if not loop:
        return check(argv, ctx, full=True)
    # --loop: check once per line read: "full" checks everything, "check"
    # only what changed since the last check (the acknowledgements logged
    # since, and the rows touched by events since); each answer ends with
    # "END N" (N violations). test_crash.sh checks every round this way.
    rc = 0
    for line in sys.stdin:
        n = check(argv, ctx, full=line.strip() == "full")
        print("END %d" % n, flush=True)
        rc = rc or (1 if n else 0)
    return rc


def check(argv, ctx, full):
    """Check once; print violations and a summary; return their count."""
    # The logs first, then the snapshot: a change acknowledged before the
    # snapshot began was committed before it, so it must be in it (the
    # load goes on meanwhile; what is logged later is not looked at).
    acklog = ctx["acks"]
    fresh = acklog.new()
    acks = acklog.every() if full else fresh
    scope = None
    if not full:
        ids = set()
        for a in acks:
            for k in ("id", "grant"):
                if a.get(k):
                    ids.add(a[k])
        scope = (ctx["last_seq"], ids)
    if argv[0] == "--sqlite":
        snap = snapshot_sqlite(argv[1], scope)
    else:
        snap = snapshot_pg(argv[1], argv[3], scope)
    bad = []

    def fail(msg):
        bad.append(msg)

    requests = {r[0]: r[1] for r in snap["requests"]}
    reviews = {(r[0], r[1]): str(r[2]) in ("1", "t", "true", "True")
               for r in snap["reviews"]}
    grants = {r[0]: (r[1], r[2], int(r[3])) for r in snap["grants"]}
    grant_of = {}
    for gid, (rid, _, _) in grants.items():
        grant_of.setdefault(rid, []).append(gid)
    tokens = {r[0] for r in snap["tokens"]}
    events = {}  # (type, subject) -> count
    review_events = {}  # (request, actor) -> count
    seqs = []
    for seq, typ, subject, actor in snap["audit"]:
        seqs.append(int(seq))
        events[(typ, subject)] = events.get((typ, subject), 0) + 1
        if typ == "review.recorded":
            k = (subject, actor)
            review_events[k] = review_events.get(k, 0) + 1

    def nev(typ, subject):
        return events.get((typ, subject), 0)

    # --- the database on its own: nothing half-written ---
    first = 1 if full else ctx["last_seq"] + 1
    new = [q for q in seqs if q >= first]
    if new != list(range(first, first + len(new))):
        fail("audit sequence is not %d..%d without gaps"
             % (first, first + len(new) - 1))
    if new:
        ctx["last_seq"] = max(ctx["last_seq"], new[-1])
    final_event = {"approved": "request.approved", "denied": "request.denied",
                   "cancelled": "request.cancelled",
                   "expired": "request.expired"}
    for rid, state in requests.items():
        if nev("request.created", rid) != 1:
            fail("request %s has %d request.created events"
                 % (rid, nev("request.created", rid)))
        for st, typ in final_event.items():
            want = 1 if state == st else 0
            if nev(typ, rid) != want:
                fail("request %s is %s with %d %s events"
                     % (rid, state, nev(typ, rid), typ))
        ng = len(grant_of.get(rid, []))
        if ng != (1 if state == "approved" else 0):
            fail("request %s is %s with %d grants" % (rid, state, ng))
    end_event = {"revoked": "grant.revoked", "completed": "grant.completed",
                 "expired": "grant.expired"}
    for gid, (rid, state, _) in grants.items():
        if requests.get(rid) != "approved":
            fail("grant %s of request %s in state %s"
                 % (gid, rid, requests.get(rid)))
        if nev("grant.issued", gid) != 1:
            fail("grant %s has %d grant.issued events"
                 % (gid, nev("grant.issued", gid)))
        for st, typ in end_event.items():
            want = 1 if state == st else 0
            if nev(typ, gid) != want:
                fail("grant %s is %s with %d %s events"
                     % (gid, state, nev(typ, gid), typ))
    for k in reviews:
        if review_events.get(k, 0) != 1:
            fail("review of %s by %s has %d review.recorded events"
                 % (k[0], k[1], review_events.get(k, 0)))
    for k in review_events:
        if k not in reviews:
            fail("review.recorded event for %s by %s without a review" % k)
    # and no event without the row it is about
    for (typ, subject), n in events.items():
        if typ.startswith("request.") and subject not in requests:
            fail("%d %s events for request %s, which is missing"
                 % (n, typ, subject))
        elif typ.startswith("grant.") and subject not in grants:
            fail("%d %s events for grant %s, which is missing"
                 % (n, typ, subject))
        elif typ == "token.created" and subject not in tokens:
            fail("token.created event for token %s, which is missing"
                 % subject)
    for tid in tokens:
        if nev("token.created", tid) != 1:
            fail("token %s has %d token.created events"
                 % (tid, nev("token.created", tid)))

    # --- against the acknowledgements ---
    nacks = nchecks = 0
    ended = ctx["ended"]  # grant -> time its end was acknowledged
    checks = []
    for a in acks:
        op = a["op"]
        nacks += 1
        if op == "error":
            fail("client got HTTP %s for %s: %s"
                 % (a["status"], a["what"], json.dumps(a["body"])[:200]))
        elif op == "create":
            st = requests.get(a["id"])
            if st is None:
                fail("acknowledged request %s is missing" % a["id"])
            elif a["state"] != "pending" and st != a["state"]:
                fail("acknowledged request %s was %s, is %s"
                     % (a["id"], a["state"], st))
            if a.get("grant") and a["grant"] not in grants:
                fail("acknowledged grant %s is missing" % a["grant"])
        elif op == "review":
            got = reviews.get((a["id"], a["reviewer"]))
            if got is None:
                fail("acknowledged review of %s by %s is missing"
                     % (a["id"], a["reviewer"]))
            elif got != (a["verdict"] == "approve"):
                fail("review of %s by %s has the wrong verdict"
                     % (a["id"], a["reviewer"]))
            st = requests.get(a["id"])
            if a["state"] != "pending" and st != a["state"]:
                fail("acknowledged review left %s %s, it is %s"
                     % (a["id"], a["state"], st))
            if a.get("grant") and a["grant"] not in grants:
                fail("acknowledged grant %s is missing" % a["grant"])
        elif op == "cancel":
            if requests.get(a["id"]) != "cancelled":
                fail("acknowledged cancel of %s: it is %s"
                     % (a["id"], requests.get(a["id"])))
        elif op in ("revoke", "done"):
            want = "revoked" if op == "revoke" else "completed"
            g = grants.get(a["grant"])
            if g is None or g[1] != want:
                fail("acknowledged %s of %s: it is %s"
                     % (op, a["grant"], g and g[1]))
            ended[a["grant"]] = a["t1"]
        elif op == "token":
            if a["id"] not in tokens:
                fail("acknowledged token %s is missing" % a["id"])
        elif op == "check":
            nchecks += 1
            if a["allow"]:
                checks.append((a["t0"], a["grant"], a["expires_at"]))
    for t0, gid, expires_at in checks:
        exp = rfc3339(expires_at)
        if t0 - CLOCK_SLACK >= exp:
            fail("check sent at %.3f allowed grant %s expiring at %s"
                 % (t0, gid, expires_at))
        if gid not in grants:
            fail("check allowed grant %s, which is not in the database" % gid)
        elif grants[gid][2] != exp:
            fail("check said grant %s expires at %s, the database %d"
                 % (gid, expires_at, grants[gid][2]))
        if gid in ended and t0 > ended[gid]:
            fail("check sent at %.3f allowed grant %s ended at %.3f"
                 % (t0, gid, ended[gid]))

    for msg in bad[:40]:
        print("violation: " + msg)
    if len(bad) > 40:
        print("violation: ... and %d more" % (len(bad) - 40))
    print("checked%s: %d requests, %d grants, %d reviews, %d events, "
          "%d acknowledgements (%d checks), %d violations"
          % ("" if full else " (what changed)", len(requests), len(grants),
             len(reviews), len(seqs), nacks,
             nchecks, len(bad)), flush=True)
    return len(bad)


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
