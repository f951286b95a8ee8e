"""Probe: do clients that send half a request hold up everyone else?

    python -m bench.slow_clients [--url http://127.0.0.1:8000] [--counts 0,2,4,16] [--kind head]

Opens N connections that each send part of a request and then wait (`head`: half of
the request head; `body`: a whole head and a tenth of the announced body; `silent`:
nothing at all; `chunked`: half of a chunked body's first chunk; `large-body`: 100
bytes of a 1 MB body), then times three normal searches, each on a fresh
connection. Without --url it starts `chancery serve` (2 workers) on an index of
seeds/ in a temporary folder.
Prints one JSON line per count: the seconds the slowest search took (null: it timed out).
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from urllib.parse import urlsplit

from bench import common

TOKEN = "probe-token"       # the token of the server this probe starts; --token for another
PARTIAL = {
    "head": b"GET /api/search?q=talks HTTP/1.1\r\nHost: probe\r\n",
    "body": b"POST /api/articles HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer %(token)s\r\nContent-Length: 1000\r\n\r\n[" + b" " * 99,
    "silent": b"",
    "chunked": b"POST /api/articles HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
               b"Authorization: Bearer %(token)s\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n[" + b" " * 49,
    # A body of 1 MB, which the event loop reads too (within chancery.worker.BUFFER_BUDGET).
    "large-body": b"POST /api/articles HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer %(token)s\r\nContent-Length: 1048576\r\n\r\n[" + b" " * 99,
}


def hold(url: str, kind: str, stack: ExitStack, token: str = TOKEN) -> socket.socket:
    """Open a connection that sends part of a request and then waits; close it when the stack ends."""
    parts = urlsplit(url)
    connection = stack.enter_context(socket.create_connection((parts.hostname, parts.port), timeout=10))
    connection.sendall(PARTIAL[kind] % {b"token": token.encode()})
    return connection


def timed_search(url: str, timeout: float) -> float | None:
    """Return the seconds a normal search took, or None when it did not answer within timeout."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url + "/api/search?q=talks", timeout=timeout) as response:
            response.read()
    except OSError:
        return None
    return round(time.monotonic() - start, 3)


def probe(url: str, count: int, kind: str, timeout: float, token: str = TOKEN) -> dict:
    """Hold count connections open with part of a request; time a search meanwhile."""
    with ExitStack() as stack:
        for _ in range(count):
            hold(url, kind, stack, token)
        time.sleep(0.3)     # let the server accept them before the search arrives
        # Three searches, each on a new connection, so that each worker is likely asked.
        took = [timed_search(url, timeout) for _ in range(3)]
    slowest = None if None in took else max(took)
    return {"kind": kind, "held": count, "slowest_search_seconds": slowest, "timeout": timeout}


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the probe for each count and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server; default: start one on seeds/")
    parser.add_argument("--counts", default="0,2,4,16", help="comma-separated numbers of held connections")
    parser.add_argument("--kind", choices=sorted(PARTIAL), default="head")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the search")
    parser.add_argument("--token", default=TOKEN, help="API token of the server at --url, for the body probe")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.url or _start(stack)
        rows = [probe(url, int(count), args.kind, args.timeout, args.token) for count in args.counts.split(",")]
    for row in rows:
        print(json.dumps(row))
    return rows


def _start(stack: ExitStack) -> str:
    from chancery.server import launch, stop
    folder = stack.enter_context(tempfile.TemporaryDirectory())
    subprocess.run([sys.executable, "-m", "chancery", "index", "--index-dir", folder, str(common.ROOT / "seeds")],
                   check=True, capture_output=True)
    process, url = launch(folder, workers=2, env={"CHANCERY_API_TOKEN": TOKEN})
    stack.callback(stop, process)
    return url


if __name__ == "__main__":
    main()
