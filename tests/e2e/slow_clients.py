#!/usr/bin/env python3
"""Idle and slow connections against a jitgate server, and the latency of
normal requests meanwhile (test_load.sh).

usage: slow_clients.py URL TOKEN IDLE SLOW SECONDS

Opens IDLE connections that send nothing and SLOW connections that send
a request one byte a second (never finishing it within SECONDS), then for
SECONDS sends normal requests one after another (POST /v1/check with
TOKEN, a new connection each time, as a client arriving meanwhile would)
and prints one JSON line:
    {"idle_open": N, "slow_open": N, "requests": N, "failed": N,
     "p50_ms": x, "p99_ms": x, "max_ms": x, "errors": [first few]}
A request fails when it is refused, reset, times out (5 s) or answers
anything but 200.
"""
import json
import socket
import sys
import threading
import time
import urllib.parse

URL, TOKEN = sys.argv[1], sys.argv[2]
IDLE, SLOW, SECONDS = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
u = urllib.parse.urlparse(URL)
ADDR = (u.hostname, u.port)

held = []
idle_open = slow_open = 0
for _ in range(IDLE):
    try:
        s = socket.create_connection(ADDR, timeout=5)
        held.append(s)
        idle_open += 1
    except OSError:
        break

slow_socks = []
for _ in range(SLOW):
    try:
        slow_socks.append(socket.create_connection(ADDR, timeout=5))
        slow_open += 1
    except OSError:
        break

SLOW_REQ = (b"POST /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: 60\r\n\r\n" + b"{" * 60)
stop = False


def dribble():
    i = 0
    while not stop and i < len(SLOW_REQ):
        for s in list(slow_socks):
            try:
                s.send(SLOW_REQ[i:i + 1])
            except OSError:
                slow_socks.remove(s)
        i += 1
        time.sleep(1)


t = threading.Thread(target=dribble, daemon=True)
t.start()

BODY = json.dumps({"principal": "admin", "resource": "lab",
                   "action": "read"}).encode()
REQ = (b"POST /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
       + TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
       b"Connection: close\r\nContent-Length: " + str(len(BODY)).encode()
       + b"\r\n\r\n" + BODY)
lat, errors, failed = [], [], 0
end = time.time() + SECONDS
while time.time() < end:
    t0 = time.time()
    try:
        s = socket.create_connection(ADDR, timeout=5)
        s.sendall(REQ)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") else b"?"
        if status != b"200":
            raise OSError("HTTP %s" % status.decode(errors="replace"))
        lat.append((time.time() - t0) * 1000)
    except OSError as e:
        failed += 1
        if len(errors) < 5:
            errors.append("%.0f ms: %s" % ((time.time() - t0) * 1000, e))
    time.sleep(0.01)
stop = True
still_idle = 0
for s in held:  # how many idle connections the server still keeps
    s.setblocking(False)
    try:
        still_idle += 1 if s.recv(1) == b"" and False else 1
    except BlockingIOError:
        pass
    except OSError:
        still_idle -= 1
lat.sort()


def pct(p):
    return round(lat[min(len(lat) - 1, int(len(lat) * p))], 2) if lat else None


print(json.dumps({"idle_open": idle_open, "slow_open": slow_open,
                  "requests": len(lat) + failed, "failed": failed,
                  "p50_ms": pct(0.5), "p99_ms": pct(0.99),
                  "max_ms": round(lat[-1], 2) if lat else None,
                  "errors": errors}))
