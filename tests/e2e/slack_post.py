#!/usr/bin/env python3
"""Press a Slack button as Slack would: POST a block_actions interaction to
jitgate's /v1/chat/slack, form-encoded and signed with the app's signing
secret (v0 HMAC-SHA256 over "v0:" timestamp ":" body). Prints the HTTP
status on the first line and the answer's body on the second.

usage: slack_post.py URL SECRET_FILE USER ACTION VALUE [options]
  --age S        the time stamp is S seconds old (a stale request)
  --bad-sig      sign with another secret
  --save FILE    keep the exact request (headers and body) in FILE
  --replay FILE  send the request kept in FILE again, unchanged
  --response-url URL  where Slack would take the replacing message
"""
import argparse
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

ap = argparse.ArgumentParser()
for name in ("url", "secret_file", "user", "action", "value"):
    ap.add_argument(name)
ap.add_argument("--age", type=int, default=0)
ap.add_argument("--bad-sig", action="store_true")
ap.add_argument("--save")
ap.add_argument("--replay")
ap.add_argument("--response-url",
                default="https://hooks.slack.invalid/actions/x")
a = ap.parse_args()

if a.replay:
    kept = json.load(open(a.replay))
    ts, sig, body = kept["ts"], kept["sig"], kept["body"].encode()
else:
    secret = open(a.secret_file, "rb").read().strip()
    if a.bad_sig:
        secret = b"not-the-signing-secret-at-all"
    payload = {
        "type": "block_actions",
        "user": {"id": a.user, "username": a.user.lower(), "team_id": "T1"},
        "actions": [{"action_id": a.action, "value": a.value,
                     "type": "button", "block_id": "jg_review"}],
        "response_url": a.response_url,
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()) - a.age)
    sig = "v0=" + hmac.new(secret, b"v0:" + ts.encode() + b":" + body,
                           hashlib.sha256).hexdigest()
    if a.save:
        json.dump({"ts": ts, "sig": sig, "body": body.decode()},
                  open(a.save, "w"))

req = urllib.request.Request(a.url, data=body, method="POST", headers={
    "Content-Type": "application/x-www-form-urlencoded",
    "X-Slack-Request-Timestamp": ts,
    "X-Slack-Signature": sig,
})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status)
        print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
    print(e.read().decode())
