#!/usr/bin/env python3
"""An SMTP server on loopback for the mail tests, on Debian's aiosmtpd.

usage: smtp_sink.py PORT DIR MODE CERT KEY [USER:PASSWORD]
  MODE starttls  take mail, STARTTLS required before MAIL (CERT, KEY)
       smtps     take mail over implicit TLS
       plain     take mail, no TLS offered at all (a client must refuse)
       refuse    STARTTLS, then 550 to every recipient
       hang      accept connections and never say a word
With USER:PASSWORD, AUTH (over TLS) with exactly those is required.
Each message taken is stored as DIR/N.eml, with a line in DIR/log:
    <n> tls=<yes|no> from=<addr> to=<addr,...>
and each refusal as a line "refused to=<addr>".
"""
import os
import sys

try:
    import aiosmtpd  # noqa: F401
except ImportError:  # a python3 without Debian's packages (pyenv)
    if sys.executable != "/usr/bin/python3" and os.path.exists(
            "/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import socket
import ssl
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

PORT, DIR, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
CERT, KEY = sys.argv[4], sys.argv[5]
CREDS = sys.argv[6].encode() if len(sys.argv) > 6 else None
os.makedirs(DIR, exist_ok=True)
lock = threading.Lock()


def log(line):
    with lock, open(os.path.join(DIR, "log"), "a") as f:
        f.write(line + "\n")


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, opts):
        if MODE == "refuse":
            log("refused to=%s" % address)
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with lock:
            n = len([f for f in os.listdir(DIR) if f.endswith(".eml")]) + 1
            with open(os.path.join(DIR, "%d.eml" % n), "wb") as f:
                f.write(envelope.original_content or envelope.content)
        log("%d tls=%s from=%s to=%s" % (
            n, "yes" if session.ssl is not None or MODE == "smtps" else "no",
            envelope.mail_from, ",".join(envelope.rcpt_tos)))
        return "250 Message accepted"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login + b":" + auth_data.password) == CREDS
    log("auth %s user=%s" % ("ok" if ok else "BAD", auth_data.login.decode()))
    return AuthResult(success=ok)


def hang():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(16)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never answered, never closed
        log("hung a connection")


if MODE == "hang":
    hang()
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(CERT, KEY)
kw = {}
if MODE in ("starttls", "refuse"):
    kw = {"tls_context": ctx, "require_starttls": True}
if CREDS:
    kw.update(authenticator=authenticate, auth_required=True)
ctl = Controller(Sink(), hostname="127.0.0.1", port=PORT,
                 ssl_context=ctx if MODE == "smtps" else None,
                 server_hostname="localhost", **kw)
ctl.start()
while True:
    time.sleep(3600)
