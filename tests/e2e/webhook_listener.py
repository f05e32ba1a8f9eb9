#!/usr/bin/env python3
"""A webhook receiver for the notification tests.

Checks each delivery's HMAC-SHA256 signature exactly as docs/notifications.md
tells receivers to, and appends one line per delivery to LOG:
    <delivery id> <event> <ok|BADSIG> <body>
usage: webhook_listener.py PORT SECRET_FILE LOG
"""
import hashlib
import hmac
import http.server
import sys

PORT, SECRET_FILE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SECRET = open(SECRET_FILE, "rb").read().strip()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Jitgate-Timestamp", "")
        dlv = self.headers.get("X-Jitgate-Delivery", "")
        event = self.headers.get("X-Jitgate-Event", "")
        signed = ".".join([dlv, ts, event]).encode() + b"." + body
        want = "v1=" + hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Jitgate-Signature", "")
        ok = hmac.compare_digest(want, got)
        with open(LOG, "a") as f:
            f.write("%s %s %s %s\n" % (
                self.headers.get("X-Jitgate-Delivery", "-"),
                self.headers.get("X-Jitgate-Event", "-"),
                "ok" if ok else "BADSIG", body.decode()))
        self.send_response(204 if ok else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
