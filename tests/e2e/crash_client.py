#!/usr/bin/env python3
"""One load client of the crash-consistency test (test_crash.sh).

usage: crash_client.py URL_FILE TOKENS_FILE N ACK_LOG SEED

Runs until killed, as client N: it creates requests as requester uN
(auto-approved ones on `lab`, one-step ones on `db`, two-step ones on
`svc`), reviews them as its approvers aN and bN, cancels some, ends
grants (revoke as the admin, done as uN), asks /v1/check about uN as the
admin, and now and then creates a token. The server is killed with
SIGKILL and restarted behind its back: a call that fails at the
connection is an unknown outcome and is simply forgotten (never
retried, never logged).

Every ACKNOWLEDGED change (a 2xx answer) is appended to ACK_LOG as one
JSON line, written and flushed only after the answer arrived:
    {"op": "create", "id": ..., "state": ..., "grant": ..., ...}
    {"op": "review", "id": ..., "reviewer": ..., "verdict": ..., "state": ...}
    {"op": "cancel" | "revoke" | "done", ...}
    {"op": "check", "allow": ..., "grant": ..., "expires_at": ..., "t0": ...}
    {"op": "token", "id": ...}
With JG_CLIENT_ALLOW_503=1 (test_faults.sh), a 503 store-unavailable is
logged as {"op": "unavailable", "what": ...} and is no error.
An answer no client should ever get (a 5xx, a 4xx other than the
conflicts a race with the clock can cause) is logged as
    {"op": "error", "status": ..., "what": ..., "body": ...}
and fails the test. crash_check.py reads these logs.
"""
import http.client
import json
import os
import random
import sys
import time

URL_FILE, TOKENS_FILE, N, LOG, SEED = sys.argv[1:6]
rnd = random.Random(int(SEED))
tokens = dict(line.split(None, 1) for line in
              open(TOKENS_FILE).read().split("\n") if line.strip())
tokens = {k: v.strip() for k, v in tokens.items()}
ME, A, B = "u" + N, "a" + N, "b" + N
log = open(LOG, "a", buffering=1)
conn = None
url = None


def ack(**kw):
    log.write(json.dumps(kw, separators=(",", ":")) + "\n")
    log.flush()


class Down(Exception):
    pass


def call(method, path, who, body=None):
    """(status, json) or raise Down when the server is not answering."""
    global conn, url
    if conn is None:
        try:
            url = open(URL_FILE).read().strip()
        except OSError:
            raise Down()
        host, port = url.split("//", 1)[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Authorization": "Bearer " + tokens[who]}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = None
        raise Down()
    try:
        return r.status, json.loads(text) if text else None
    except ValueError:
        return r.status, {"raw": text[:200].decode("utf-8", "replace")}


# test_faults.sh fills the disk under the load: then 503 store-unavailable
# is the right answer (and changes nothing), logged as "unavailable".
ALLOW_503 = os.environ.get("JG_CLIENT_ALLOW_503") == "1"


def expect(status, obj, what, ok=(200, 201), benign=()):
    """True on success; False on a benign refusal; logs anything else."""
    if status in ok:
        return True
    if (ALLOW_503 and status == 503 and isinstance(obj, dict) and
            obj.get("type") == "urn:jitgate:problem:store-unavailable"):
        ack(op="unavailable", what=what)
    elif status not in benign:
        ack(op="error", status=status, what=what, body=obj)
    return False


pending1, pending2, grants = [], [], []


def create(kind):
    res = {"lab": ("lab", "read"), "db": ("db", "write"),
           "svc": ("svc", "restart")}[kind]
    body = {"resource": res[0], "action": res[1],
            "reason": "crash test %s" % kind}
    if kind == "lab":
        body["duration"] = "%ds" % rnd.randint(1, 4)
    else:
        body["duration"] = "%dm" % rnd.randint(1, 30)
    st, o = call("POST", "/v1/requests", ME, body)
    if not expect(st, o, "create " + kind):
        return
    ack(op="create", id=o["id"], state=o["state"], grant=o.get("grant_id"),
        kind=kind)
    if o["state"] == "approved" and o.get("grant_id"):
        grants.append(o["grant_id"])
    elif o["state"] == "pending":
        (pending1 if kind == "db" else pending2).append(o["id"])


def review(lst, who, verdict):
    if not lst:
        return
    rid = rnd.choice(lst)
    st, o = call("POST", "/v1/requests/%s/%s" % (rid, verdict), who,
                 {"comment": "crash test"})
    # 409: already decided (e.g. expired) or already reviewed
    if not expect(st, o, "review", benign=(409,)):
        if st == 409 and rid in lst:
            lst.remove(rid)
        return
    ack(op="review", id=rid, reviewer=who, verdict=verdict, state=o["state"],
        grant=o.get("grant_id"))
    if o["state"] != "pending":
        lst.remove(rid)
        if o["state"] == "approved" and o.get("grant_id"):
            grants.append(o["grant_id"])


def cancel(lst):
    if not lst:
        return
    rid = rnd.choice(lst)
    st, o = call("POST", "/v1/requests/%s/cancel" % rid, ME,
                 {"reason": "crash test"})
    lst.remove(rid)
    if expect(st, o, "cancel", benign=(409,)):
        ack(op="cancel", id=rid, state=o["state"])


def end(op):
    if not grants:
        return
    gid = rnd.choice(grants)
    who = "admin" if op == "revoke" else ME
    t0 = time.time()
    st, o = call("POST", "/v1/grants/%s/%s" % (gid, op), who,
                 {"reason": "crash test"})
    t1 = time.time()
    grants.remove(gid)
    # 409: the grant expired meanwhile
    if expect(st, o, op, benign=(409,)):
        ack(op=op, grant=gid, state=o["state"], t0=t0, t1=t1)


def check():
    t0 = time.time()
    st, o = call("POST", "/v1/check", "admin",
                 {"principal": ME, "resource": "lab", "action": "read"})
    t1 = time.time()
    if expect(st, o, "check"):
        ack(op="check", allow=o["allow"], grant=o.get("grant_id"),
            expires_at=o.get("expires_at"), t0=t0, t1=t1)


def token():
    st, o = call("POST", "/v1/tokens", "admin",
                 {"principal": "t" + N, "description": "crash test"})
    if expect(st, o, "token"):
        ack(op="token", id=o["id"])


OPS = [
    (14, lambda: create("lab")), (10, lambda: create("db")),
    (6, lambda: create("svc")),
    (8, lambda: review(pending1, A, "approve")),
    (3, lambda: review(pending1, B, "deny")),
    (5, lambda: review(pending2, A, "approve")),
    (5, lambda: review(pending2, B, "approve")),
    (3, lambda: cancel(pending1)), (2, lambda: cancel(pending2)),
    (6, lambda: end("revoke")), (3, lambda: end("done")),
    (30, check), (1, token),
]
WEIGHTS = [w for w, _ in OPS]

while True:
    op = rnd.choices(OPS, WEIGHTS)[0][1]
    try:
        op()
    except Down:
        time.sleep(0.01)
    # keep the lists short: old entries are mostly decided by now
    del pending1[:-20], pending2[:-20], grants[:-20]
