#!/usr/bin/env python3
"""A target for the http connector tests (tests/e2e/test_exec.sh).

Appends one line per request to LOG:
    <method> <path> <auth ok|BADAUTH|none> <body>
and answers 200 with {"ok": true, "path": …}, except for paths ending in
  /redirect-away    302 to the same port on another host name, localhost
  /redirect-here    302 to /flags/landed on this host
  /redirect-port    302 to 127.0.0.1 on OTHER_PORT (another service)
  /redirect-ip      302 to 127.0.0.2 on this port
  /secret-edge      200 with 10 bytes, then the token, then more: the
                    token crosses a 20-byte output limit
  /redirect-secret  302 to /flags/secret-edge
usage: exec_listener.py PORT TOKEN_FILE LOG [OTHER_PORT]
"""
import http.server
import json
import sys

PORT, TOKEN_FILE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
OTHER_PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
TOKEN = open(TOKEN_FILE).read().strip()
REDIRECTS = {
    "/redirect-away": "http://localhost:%d/flags/stolen" % PORT,
    "/redirect-here": "/flags/landed",
    "/redirect-port": "http://127.0.0.1:%d/flags/stolen" % OTHER_PORT,
    "/redirect-ip": "http://127.0.0.2:%d/flags/stolen" % PORT,
    "/redirect-secret": "/flags/secret-edge",
}


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode() if n else ""
        auth = self.headers.get("Authorization")
        state = "none" if auth is None else (
            "ok" if auth == "Bearer " + TOKEN else "BADAUTH")
        with open(LOG, "a") as f:
            f.write("%s %s %s %s\n" % (self.command, self.path, state, body))
        tail = self.path[self.path.rfind("/"):]
        if tail in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[tail])
            self.end_headers()
            return
        if tail == "/secret-edge":
            out = ("0123456789" + TOKEN + " and more text").encode()
        else:
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
