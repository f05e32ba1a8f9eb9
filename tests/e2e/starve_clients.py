#!/usr/bin/env python3
"""Clients that try to starve a jitgate server (test_starve.sh).

usage: starve_clients.py MODE URL ARGS...

  unauth URL PID N LEN
      N connections, no token, each declaring a LEN-byte body to
      POST /v1/policy/replay and sending 1 KiB of it; each waits (10 s at
      most, all at once) for an answer without sending more; then each
      sends the rest of its body anyway, as an attacker would, all but
      the last byte, and the server's VmRSS (PID) is read while they hold.
  declared URL TOKEN LEN EXPECT
      one connection declaring a LEN-byte body to POST /v1/requests
      (with "Expect: 100-continue" when EXPECT is 1), sending 1 KiB of
      it, then waiting (10 s at most) for an answer.
  chunked URL TOKEN LEN
      one chunked body of LEN bytes to POST /v1/requests, 16 KiB a chunk;
      the answer once it is sent (or the connection closed).
  hold URL TOKEN N LEN
      N connections with TOKEN declaring LEN bytes to POST
      /v1/policy/replay, one after another, each sending 1 KiB; the
      status each got within 2 s ("-" for none yet: it is still being
      received).
  perip URL N
      N connections at once, each then asking GET /healthz; how many
      were answered 200 and how many closed unanswered.
  dribble URL TOKEN SECONDS
      one upload to POST /v1/check declaring 60,000 bytes and sending
      one a second, for SECONDS at most or until the server closes.

Each prints one JSON line. Only loopback servers the test started.
"""
import json
import select
import socket
import sys
import time
import urllib.parse

MODE, URL = sys.argv[1], sys.argv[2]
ARGS = sys.argv[3:]
u = urllib.parse.urlparse(URL)
ADDR = (u.hostname, u.port)
SEP = (",", ":")  # compact, as lib.sh's json_num reads it


def rss_kb(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def head(path, token, length, extra=b""):
    h = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
    if token:
        h += b"Authorization: Bearer " + token.encode() + b"\r\n"
    h += b"Content-Type: application/json\r\n" + extra
    if length is None:
        h += b"Transfer-Encoding: chunked\r\n"
    else:
        h += b"Content-Length: " + str(length).encode() + b"\r\n"
    return h + b"\r\n"


def status_of(data):
    if not data.startswith(b"HTTP/"):
        return None
    return int(data.split(b" ", 2)[1])


def wait_answers(socks, seconds):
    """The first final status each socket got within seconds (None: none);
    100 Continue is not an answer."""
    got = {s: b"" for s in socks}
    final = {s: None for s in socks}
    end = time.time() + seconds
    while time.time() < end and any(v is None for v in final.values()):
        waiting = [s for s in socks if final[s] is None]
        r, _, _ = select.select(waiting, [], [], max(0, end - time.time()))
        for s in r:
            try:
                chunk = s.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                final[s] = status_of(got[s]) or 0  # closed
                continue
            got[s] += chunk
            while got[s].startswith(b"HTTP/1.1 100"):
                cut = got[s].find(b"\r\n\r\n")
                if cut < 0:
                    break
                got[s] = got[s][cut + 4:]
            if b"\r\n\r\n" in got[s] and status_of(got[s]) not in (None, 100):
                final[s] = status_of(got[s])
    return [final[s] for s in socks], [got[s] for s in socks]


def unauth(pid, n, length):
    rss0 = rss_kb(pid)
    socks = []
    for _ in range(n):
        s = socket.create_connection(ADDR, timeout=10)
        s.sendall(head(b"/v1/policy/replay", None, length) + b" " * 1024)
        socks.append(s)
    statuses, _ = wait_answers(socks, 10)
    piece = b" " * (256 * 1024)
    for s in socks:  # the rest anyway, but the last byte
        s.settimeout(5)
        left = length - 1024 - 1
        try:
            while left > 0:
                left -= s.send(piece[:min(left, len(piece))])
        except OSError:
            pass
    time.sleep(0.5)
    rss1 = rss_kb(pid)
    for s in socks:
        s.close()
    print(json.dumps({"statuses": statuses,
                      "answered_401": statuses.count(401),
                      "rss_growth_kb": rss1 - rss0}, separators=SEP))


def declared(token, length, expect):
    s = socket.create_connection(ADDR, timeout=10)
    extra = b"Expect: 100-continue\r\n" if expect else b""
    s.sendall(head(b"/v1/requests", token, length, extra))
    if not expect:
        s.sendall(b"{" + b" " * 1023)
    statuses, data = wait_answers([s], 10)
    body = data[0].split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
    print(json.dumps({"status": statuses[0], "body": body[:300]}, separators=SEP))


def chunked(token, length):
    s = socket.create_connection(ADDR, timeout=10)
    s.sendall(head(b"/v1/requests", token, None))
    left = length
    try:
        while left > 0:
            n = min(left, 16384)
            s.sendall(b"%x\r\n" % n + b" " * n + b"\r\n")
            left -= n
        s.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    statuses, _ = wait_answers([s], 10)
    print(json.dumps({"status": statuses[0]}, separators=SEP))


def hold(token, n, length):
    socks, statuses = [], []
    for _ in range(n):
        s = socket.create_connection(ADDR, timeout=10)
        s.sendall(head(b"/v1/policy/replay", token, length) + b" " * 1024)
        socks.append(s)
        st, _ = wait_answers([s], 2)
        statuses.append(st[0] if st[0] is not None else "-")
    print(json.dumps({"statuses": statuses}, separators=SEP))
    for s in socks:
        s.close()


def perip(n):
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection(ADDR, timeout=10))
        except OSError:
            pass
    time.sleep(0.5)  # the server closes those past its limit
    for s in socks:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            pass
    statuses, _ = wait_answers(socks, 10)
    print(json.dumps({"answered_200": statuses.count(200),
                      "closed": sum(1 for x in statuses if x in (0, None)),
                      "opened": len(socks)}, separators=SEP))


def dribble(token, seconds):
    s = socket.create_connection(ADDR, timeout=10)
    s.sendall(head(b"/v1/check", token, 60000))
    end = time.time() + seconds
    try:
        while time.time() < end:
            s.sendall(b" ")
            time.sleep(1)
    except OSError:
        pass
    print(json.dumps({"ended": "closed" if time.time() < end else "time"},
                     separators=SEP))


if MODE == "unauth":
    unauth(ARGS[0], int(ARGS[1]), int(ARGS[2]))
elif MODE == "declared":
    declared(ARGS[0], int(ARGS[1]), ARGS[2] == "1")
elif MODE == "chunked":
    chunked(ARGS[0], int(ARGS[1]))
elif MODE == "hold":
    hold(ARGS[0], int(ARGS[1]), int(ARGS[2]))
elif MODE == "dribble":
    dribble(ARGS[0], float(ARGS[1]))
elif MODE == "perip":
    perip(int(ARGS[0]))
else:
    sys.exit("starve_clients.py: unknown mode " + MODE)
