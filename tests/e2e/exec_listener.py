#!/usr/bin/env python3
"""A target for the http connector tests (tests/e2e/test_exec.sh).

Appends one line per request to LOG:
    <method> <path> <auth ok|BADAUTH|none> <body>
and answers 200 with {"ok": true, "path": …}, except /redirect-away
(302 to the same port on another host name, localhost) and
/redirect-here (302 to /flags/landed on this host).
usage: exec_listener.py PORT TOKEN_FILE LOG
"""
import http.server
import json
import sys

PORT, TOKEN_FILE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TOKEN = open(TOKEN_FILE).read().strip()


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode() if n else ""
        auth = self.headers.get("Authorization")
        state = "none" if auth is None else (
            "ok" if auth == "Bearer " + TOKEN else "BADAUTH")
        with open(LOG, "a") as f:
            f.write("%s %s %s %s\n" % (self.command, self.path, state, body))
        if self.path.endswith("/redirect-away"):
            self.send_response(302)
            self.send_header("Location",
                             "http://localhost:%d/flags/stolen" % PORT)
            self.end_headers()
            return
        if self.path.endswith("/redirect-here"):
            self.send_response(302)
            self.send_header("Location", "/flags/landed")
            self.end_headers()
            return
        out = json.dumps({"ok": True, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = handle_one

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
