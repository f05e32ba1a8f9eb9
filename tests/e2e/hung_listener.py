#!/usr/bin/env python3
"""A webhook receiver that hangs: it accepts every connection, reads what
comes, and never answers (test_faults.sh). One line per accepted
connection goes to LOG. Once it listens, it creates READY, so the test
starts the server only when deliveries can connect (a refused first
attempt would back off past the test's wait).

usage: hung_listener.py PORT LOG READY
"""
import socket
import sys
import threading

PORT, LOG, READY = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def hold(conn):
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", PORT))
srv.listen(64)
open(READY, "w").close()
while True:
    c, _ = srv.accept()
    with open(LOG, "a") as f:
        f.write("accepted\n")
    threading.Thread(target=hold, args=(c,), daemon=True).start()
