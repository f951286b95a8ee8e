"""The gunicorn worker, over raw sockets against the real server: slow clients, body limits, JSON errors."""
from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from bench import slow_clients
from conftest import TOKEN, start_server, stop_server

pytestmark = pytest.mark.server

LIMIT = 20_000          # CHANCERY_MAX_REQUEST_BYTES of the server under test
READ_TIMEOUT = 2        # CHANCERY_READ_TIMEOUT of the server under test


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, base = start_server(tmp_path_factory.mktemp("served"), {
        "CHANCERY_API_TOKEN": TOKEN, "CHANCERY_MAX_REQUEST_BYTES": str(LIMIT),
        "CHANCERY_READ_TIMEOUT": str(READ_TIMEOUT)})
    yield base
    stop_server(process)


def connect(base: str, timeout: float = 15) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def exchange(base: str, raw: bytes, pause_after: int | None = None) -> tuple[int, dict, bytes]:
    """Send raw bytes on a new connection; return the answer's status, headers and body."""
    with connect(base) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def json_error(status: int, headers: dict, body: bytes) -> dict:
    """Return the error object of an answer, checking that it has the API's one JSON shape."""
    assert headers["Content-Type"].startswith("application/json"), (status, body[:200])
    error = json.loads(body)["error"]
    assert error["status"] == status and isinstance(error["code"], str) and error["message"]
    return error


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode()


def post(body: bytes, chunks: list[bytes] | None = None, length: int | None = None) -> bytes:
    """A POST of articles with the token: chunked when chunks are given, else with a Content-Length."""
    head = (f"POST /api/articles HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/x-ndjson\r\n")
    if chunks is None:
        return (head + f"Content-Length: {len(body) if length is None else length}\r\n\r\n").encode() + body
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + framed + b"0\r\n\r\n"


def delete(base: str, doc_id: str) -> int:
    raw = (f"DELETE /api/articles/{doc_id} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
           f"Authorization: Bearer {TOKEN}\r\n\r\n").encode()
    return exchange(base, raw)[0]


def documents(base: str) -> int:
    status, _, body = exchange(base, get("/api/health"))
    assert status == 200
    return json.loads(body)["documents"]


# -- part 4: slow clients hold no worker -------------------------------------------

@pytest.mark.parametrize("kind", sorted(slow_clients.PARTIAL))
@pytest.mark.parametrize("held", [2, 4, 24])
def test_a_search_answers_while_clients_hold_half_requests(server, kind, held):
    row = slow_clients.probe(server, held, kind, timeout=10, token=TOKEN)
    assert row["slowest_search_seconds"] is not None and row["slowest_search_seconds"] < 2, row


@pytest.mark.parametrize("partial", [slow_clients.PARTIAL["head"], slow_clients.PARTIAL["body"] % {b"token": b"t"},
                                     post(b"", chunks=[b"[" * 50])[:-5]], ids=["head", "body", "chunked body"])
def test_a_request_not_finished_within_the_read_timeout_is_dropped(server, partial):
    with connect(server) as sock:
        sock.sendall(partial)
        start = time.monotonic()
        assert sock.recv(100) == b""
        assert READ_TIMEOUT - 0.5 < time.monotonic() - start < READ_TIMEOUT + 3


def test_a_body_that_keeps_arriving_may_take_longer_than_the_read_timeout(server):
    record = json.dumps({"id": "slow-1", "title": "A slow but steady upload", "body": "Envoys met in Oslo.",
                         "published": "2021-05-05"}).encode() + b"\n"
    head = post(record)[:-len(record)]
    step = len(record) // 4 + 1
    with connect(server) as sock:
        start = time.monotonic()
        # The head at once (it has the read timeout in all), then the body in pieces, each within it.
        for piece in [head] + [record[i:i + step] for i in range(0, len(record), step)]:
            sock.sendall(piece)
            time.sleep(READ_TIMEOUT * 0.6)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200, response.read()
    assert time.monotonic() - start > READ_TIMEOUT * 1.5
    assert exchange(server, get("/api/articles/slow-1"))[0] == 200
    assert delete(server, "slow-1") == 200


def test_a_client_that_expects_100_continue_is_answered_by_the_loop_and_written(server):
    record = json.dumps({"id": "expect-1", "title": "An expectant upload", "body": "Envoys met.",
                         "published": "2021-06-06"}).encode() + b"\n"
    head = post(record)[:-len(record)].replace(b"Content-Length", b"Expect: 100-continue\r\nContent-Length")
    with connect(server) as sock:
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(record)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200, response.read()
    assert exchange(server, get("/api/articles/expect-1"))[0] == 200
    assert delete(server, "expect-1") == 200


def test_requests_beyond_what_the_loop_may_hold_are_a_json_503(server):
    # Each worker holds at most 3 bodies' worth (3 x 20,000 bytes): 7 connections that each
    # send 19,000 bytes of a body put 4 or more on one of the 2 workers.
    head = post(b"", length=19_500)
    with ExitStack() as stack:
        socks = [stack.enter_context(connect(server, timeout=READ_TIMEOUT + 3)) for _ in range(7)]
        for sock in socks:
            sock.sendall(head + b" " * 19_000)
            time.sleep(0.05)
        answers = []
        for sock in socks:
            try:
                response = http.client.HTTPResponse(sock)
                response.begin()
                answers.append((response.status, dict(response.getheaders()), response.read()))
            except (OSError, http.client.HTTPException):
                answers.append(None)        # dropped after the read timeout, unanswered
    refused = [answer for answer in answers if answer is not None]
    assert refused, answers
    for status, headers, body in refused:
        assert status == 503 and json_error(status, headers, body)["code"] == "unavailable"
        assert headers["Retry-After"] == "1"
    assert documents(server) == 5


# -- part 5: a body over the limit is refused whole ---------------------------------

def article_lines(count: int, width: int = 200) -> list[bytes]:
    """JSON Lines of distinct articles, each exactly `width` bytes with its newline."""
    lines = []
    for number in range(count):
        record = {"id": f"bulk-{number}", "title": f"Bulk note number {number}", "body": "Envoys met.",
                  "published": "2022-02-02"}
        text = json.dumps(record)
        lines.append((text[:-1] + ", \"source\": \"" + "x" * (width - len(text) - 15) + "\"}\n").encode())
    assert all(len(line) == width for line in lines)
    return lines


@pytest.mark.parametrize("encoding", ["chunked", "content-length"])
def test_a_body_over_the_limit_is_a_json_413_with_nothing_written(server, encoding):
    lines = article_lines(150)     # 30,000 bytes; the limit falls on the end of line 100
    assert sum(map(len, lines[:LIMIT // 200])) == LIMIT
    body = b"".join(lines)
    raw = post(body, chunks=lines) if encoding == "chunked" else post(body)
    status, headers, answer = exchange(server, raw)
    error = json_error(status, headers, answer)
    assert status == 413 and error["code"] == "request_too_large" and str(LIMIT) in error["message"]
    assert documents(server) == 5


@pytest.mark.parametrize("encoding", ["chunked", "content-length"])
def test_a_body_just_under_the_limit_is_written(server, encoding):
    lines = article_lines(LIMIT // 200 - 1)
    body = b"".join(lines)
    status, _, answer = exchange(server, post(body, chunks=lines) if encoding == "chunked" else post(body))
    assert status == 200, answer
    assert json.loads(answer)["added"] + json.loads(answer)["replaced"] == len(lines)
    assert documents(server) == 5 + len(lines)


# -- part 6: every error is JSON, the WSGI server's own too --------------------------

MALFORMED = [
    # (what, raw request, status, code)
    ("URL over the server's limit (a 10 KB facet value)", get("/api/search?country=" + "x" * 10_000), 414,
     "uri_too_long"),
    ("a header field over the server's limit", b"GET /api/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"y" * 9000
     + b"\r\n\r\n", 431, "header_fields_too_large"),
    ("more header fields than the server allows", b"GET /api/health HTTP/1.1\r\nHost: t\r\n"
     + b"".join(b"X-N%d: v\r\n" % n for n in range(120)) + b"\r\n", 431, "header_fields_too_large"),
    ("a request line that is not HTTP", b"HELLO THERE\r\n\r\n", 400, "bad_request"),
    ("an unknown HTTP version", b"GET /api/health HTTP/7.1\r\nHost: t\r\n\r\n", 400, "bad_request"),
    ("a header name with a space", b"GET /api/health HTTP/1.1\r\nHost: t\r\nBad Name: v\r\n\r\n", 400,
     "bad_request"),
    ("a transfer coding the server does not know", b"POST /api/articles HTTP/1.1\r\nHost: t\r\n"
     b"Transfer-Encoding: br, chunked\r\n\r\n0\r\n\r\n", 501, "not_implemented"),
    ("a body of unknown length", b"POST /api/articles HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
     400, "bad_request"),
    ("a chunk size that is not hexadecimal", post(b"", chunks=[])[:-5] + b"zz\r\nabc\r\n0\r\n\r\n", 400,
     "bad_request"),
]


@pytest.mark.parametrize("what, raw, status, code", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_the_servers_own_errors_are_json(server, what, raw, status, code):
    got, headers, body = exchange(server, raw)
    assert got == status, body[:300]
    assert json_error(status, headers, body)["code"] == code


def test_a_long_facet_value_under_the_url_limit_is_answered_by_the_app(server):
    status, _, body = exchange(server, get("/api/search?country=" + "x" * 3000))
    assert status == 200 and json.loads(body)["total"] == 0


# -- threads: each has its own searcher, and answers as one thread would --------------

QUERIES = ["/api/search?q=talks", "/api/search?q=ceasefire&sort=newest", "/api/search?country=Syria",
           "/api/search?q=minister&per_page=50", "/api/facets/person?prefix=s", "/api/search?topic=sanctions",
           "/api/search?q=%22foreign+minister%22", "/api/health"]


def answer(base: str, path: str):
    """Return an answer without what the concurrent writes may change: timings, versions, scores, order."""
    status, _, body = exchange(base, get(path))
    found = json.loads(body)
    found.pop("took_ms", None)
    found.pop("index_version", None)
    # The written articles change the corpus statistics, so the scores, and the order of close ones.
    for result in found.get("results", []):
        result.pop("score")
    found["results"] = sorted(found.get("results", []), key=lambda result: result["id"])
    return status, found


def test_threads_answer_concurrent_searches_as_one_thread_would_while_writes_land(tmp_path):
    process, base = start_server(tmp_path / "index", {"CHANCERY_API_TOKEN": TOKEN, "CHANCERY_THREADS": "4"},
                                 workers=1)
    try:
        expected = {path: answer(base, path) for path in QUERIES}
        expected["/api/health"][1].pop("documents")
        wrong, stop = [], threading.Event()

        def read(offset: int):
            for turn in range(12):
                path = QUERIES[(offset + turn) % len(QUERIES)]
                got = answer(base, path)
                if path == "/api/health":
                    got[1].pop("documents")
                if got != expected[path]:
                    wrong.append((path, got))

        def write():
            number = 0
            while not stop.is_set():
                record = json.dumps({"id": f"w{number}", "title": "A Quokkaville note", "body": "Quokkaville.",
                                     "published": "2021-03-04"})
                assert exchange(base, post(record.encode()))[0] == 200
                number += 1

        writer = threading.Thread(target=write)
        readers = [threading.Thread(target=read, args=(n,)) for n in range(8)]
        writer.start()
        for thread in readers:
            thread.start()
        for thread in readers:
            thread.join()
        stop.set()
        writer.join()
        assert not wrong, [(path, got, expected[path]) for path, got in wrong[:1]]
        found = exchange(base, get("/api/search?q=Quokkaville"))
        assert found[0] == 200, found
        written = json.loads(found[2])["total"]
        assert written >= 1 and documents(base) == 5 + written
    finally:
        stop_server(process)


def _connection(head: bytes):
    from chancery.reading import RequestReader
    from chancery.worker import Connection
    conn = Connection.__new__(Connection)       # only its request is read when routing
    conn.request = RequestReader()
    conn.request.feed(head)
    return conn


def _thread_and_niceness(conn) -> tuple[int, int]:
    return threading.get_ident(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.parametrize("method, writes", [
    ("GET", False), ("HEAD", False), ("OPTIONS", False),
    ("POST", True), ("DELETE", True), ("PUT", True), ("PATCH", True),
])
def test_writes_run_on_their_own_lower_priority_thread(method, writes):
    from chancery.worker import RoutedPool
    pool = RoutedPool(1, 5)
    try:
        read_thread, read_nice = pool.submit(_thread_and_niceness, _connection(b"GET / HTTP/1.1\r\n\r\n")).result()
        thread, nice = pool.submit(_thread_and_niceness,
                                   _connection(f"{method} /api/articles HTTP/1.1\r\n\r\n".encode())).result()
    finally:
        pool.shutdown()
    assert (thread != read_thread) is writes
    assert nice == (min(19, read_nice + 5) if writes else read_nice)


def test_a_new_connection_goes_to_a_worker_with_a_free_thread(tmp_path):
    # gthread accepted a connection whenever its loop ran, busy or not, and a kept-alive
    # connection stays with its worker: here a worker whose one thread is busy leaves new
    # connections in the listen queue for the other. The app is a test one (tests/pid_app.py)
    # that names the process answering; the worker and gunicorn are the real ones.
    import subprocess
    import sys
    import psutil
    from chancery.server import free_port
    import pid_app
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "chancery.worker.Worker", "-w", "2",
                                "--threads", "1", "-b", f"127.0.0.1:{port}", "pid_app:app"],
                               cwd=os.path.dirname(__file__), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while len(psutil.Process(process.pid).children()) < 2 or not _answers(base):
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        time.sleep(0.5)             # both workers in their loops
        with connect(base) as slow:
            slow.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            time.sleep(0.5)         # one worker's thread is now busy for SLOW_SECONDS
            answered = set()
            for _ in range(6):
                started = time.monotonic()
                status, _, body = exchange(base, get("/pid"))
                assert status == 200 and time.monotonic() - started < pid_app.SLOW_SECONDS / 2
                answered.add(int(body))
            response = http.client.HTTPResponse(slow)
            response.begin()
            busy = int(response.read())
        assert len(answered) == 1 and busy not in answered
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(base: str) -> bool:
    try:
        return exchange(base, get("/pid"))[0] == 200
    except OSError:
        return False
