"""The gunicorn worker: slow clients hold no thread, and gunicorn's own errors are JSON.

gunicorn's threaded worker hands a connection to a thread as soon as it has any
data, and the thread then blocks until the whole request arrives: two clients
sending half a request held both sync workers for a minute. Here the event loop
reads each request whole, head and body, without blocking (chancery.reading), and
gives it to a thread only once it is complete, so a thread only ever runs the app
and writes the answer. The loop itself refuses a body over the limit (413) and
requests beyond what it may hold at once (503), and drops a request that does not
arrive in time. Each thread keeps its own index searcher (search.searcher.Service).

Writes (POST, PUT, PATCH, DELETE) run on a thread of their own, at a lower CPU
priority (the write_nice setting), never on the request threads: a stream of
writes, each taking hundreds of milliseconds of extraction and commit, held every
request thread and left searches waiting in the queue behind them.
"""
from __future__ import annotations

import json
import os
import selectors
import socket
import threading
import time
from concurrent import futures
from functools import partial

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread

from chancery.api import errors
from chancery import settings
from chancery.reading import CONTINUE, RequestReader

# The loop holds the bytes of requests being read up to this many times the body
# limit per worker; a request that would pass it is refused with 503 and Retry-After.
BUDGET_BODIES = 3
DRAIN_SECONDS = 2.0     # how long a refused request's remaining bytes are read and dropped

# gunicorn's parse errors, most specific first, with the status each is answered with.
PARSE_STATUS = [
    (http_errors.LimitRequestLine, 414),
    (http_errors.LimitRequestHeaders, 431),
    (http_errors.UnsupportedTransferCoding, 501),
    (http_errors.ExpectationFailed, 417),
    (http_errors.ForbiddenProxyRequest, 403),
    (http_errors.ConfigurationProblem, 500),
    (http_errors.InvalidResponseHeader, 500),
    (http_errors.InvalidResponseHeaderName, 500),
    (http_errors.ParseException, 400),
]


WRITE_METHODS = {b"POST", b"PUT", b"PATCH", b"DELETE"}


def lower_priority(nice: int) -> None:
    """Make the calling thread nicer by nice (Linux schedules threads by their own niceness)."""
    if nice and hasattr(os, "setpriority"):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))


class RoutedPool:
    """The request threads, and one lower-priority thread for writes."""

    def __init__(self, threads: int, write_nice: int):
        self.reads = futures.ThreadPoolExecutor(max_workers=threads)
        self.writes = futures.ThreadPoolExecutor(max_workers=1, initializer=lower_priority, initargs=(write_nice,))

    @staticmethod
    def is_write(conn) -> bool:
        """Return whether a connection's complete request is a write."""
        head = bytes(conn.request.data[:8]) if isinstance(conn, Connection) else b""
        return head.split(b" ", 1)[0] in WRITE_METHODS

    def submit(self, handle, conn):
        return (self.writes if self.is_write(conn) else self.reads).submit(handle, conn)

    def shutdown(self, wait: bool = True) -> None:
        self.reads.shutdown(wait=wait)
        self.writes.shutdown(wait=wait)


def status_of(exc: Exception) -> int:
    """Return the HTTP status gunicorn's error is answered with: 500 when it is not the client's."""
    return next((status for kind, status in PARSE_STATUS if isinstance(exc, kind)), 500)


def json_error(status: int, message: str, headers: str = "") -> bytes:
    """Return a whole HTTP/1.1 response carrying the JSON error shape of the API."""
    body = json.dumps({"error": errors.error_body(status, errors.CODES.get(status, "http_error"), message)},
                      ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {errors.reason(status)}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Content-Type-Options: nosniff\r\n{headers}\r\n")
    return head.encode("latin-1") + body


class Connection(gthread.TConn):
    """A client connection whose requests the event loop reads before a thread takes them."""

    def __init__(self, cfg, sock, client, server, read_timeout: float):
        super().__init__(cfg, sock, client, server)
        self.request = RequestReader()
        self.read_timeout = read_timeout

    def init(self):
        # Called by the thread before every request on the connection, after the
        # socket was made blocking: give the parser what the loop read, and bound
        # the blocking writes (and any read) that follow.
        super().init()
        if self.request.data:
            self.parser.unreader.unread(bytes(self.request.data))
            self.request = RequestReader()
        self.sock.settimeout(self.read_timeout)


class Worker(gthread.ThreadWorker):
    """gthread, with requests read whole by the event loop and errors answered as JSON."""

    def setting(self, name: str):
        # Server (chancery.server) carries the resolved settings; a bare gunicorn run has defaults.
        return getattr(self.app, name, settings.SETTINGS[name].default)

    def get_thread_pool(self):
        return RoutedPool(self.cfg.threads, self.setting("write_nice"))

    # Requests on the request threads, queued or running. A worker accepts a new connection
    # only while one of its threads is free: gthread accepted whenever its loop ran, and a
    # kept-alive connection stays with the worker that accepted it, so at 4 clients all four
    # could sit on one busy worker while the other idled (25 req/s instead of 44 at 1M
    # articles). A connection waiting in the listen queue goes to whichever worker frees first.
    reading = 0

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.reading < self.cfg.threads)

    def enqueue_req(self, conn):
        read = not RoutedPool.is_write(conn)
        self.reading += read
        future = self.tpool.submit(self.handle, conn)
        future.add_done_callback(lambda done: self.method_queue.defer(self.finished, conn, done, read))
        if self.reading >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finished(self, conn, future, read: bool) -> None:
        """Count a request off its thread (in the event loop), then finish it as gthread does."""
        self.reading -= read
        self.finish_request(conn, future)

    def accept(self, listener):
        if self.reading >= self.cfg.threads:
            return          # the listener's readiness was read before it was set aside
        try:
            client_sock, client_addr = listener.accept()
        except OSError:     # another worker took it, or the client went away
            return
        self.nr_conns += 1
        conn = Connection(self.cfg, client_sock, client_addr, listener.getsockname(), self.setting("read_timeout"))
        self.await_request(conn)
        # A client usually sends its request with the connection: read it now, so that a worker
        # whose thread it takes stops accepting before its loop looks at the listener again
        # (else a free worker took a burst of new connections, and kept them alive).
        self.on_request_readable(conn, conn.sock)

    def await_request(self, conn: Connection) -> None:
        """Read the connection's next request in the event loop; its head within the read timeout."""
        self.watch(conn, conn.read_timeout, self.on_request_readable)

    def watch(self, conn: Connection, seconds: float, callback) -> None:
        """Read a connection in the event loop with callback; close it if seconds pass first."""
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + seconds
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(callback, conn))

    def read(self, conn: Connection, sock) -> bytes | None:
        """Return the bytes that arrived, or None: none yet, or the client closed (then so do we)."""
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            self.forget(conn)
            self.close(conn)
            return None
        return data

    def on_request_readable(self, conn: Connection, sock) -> None:
        data = self.read(conn, sock)
        if data is None:
            return
        request = conn.request
        if request.feed(data) and request.take_expectation():
            self.send(conn, CONTINUE)
        if request.head_end >= 0:
            # A body may take as long as it keeps arriving (as with nginx's client_body_timeout):
            # it holds no thread meanwhile. The pending queue stays in order of deadline.
            self.pending_conns.remove(conn)
            conn.timeout = time.monotonic() + conn.read_timeout
            self.pending_conns.append(conn)
        complete = request.complete()
        limit = self.setting("max_request_bytes")
        if request.over(limit):
            self.refuse(conn, 413, errors.too_large_message(limit))
        elif sum(len(other.request.data) for other in self.pending_conns) > BUDGET_BODIES * limit:
            self.refuse(conn, 503, "the server is receiving too many requests at once; try again shortly",
                        "Retry-After: 1\r\n")
        elif complete:
            self.forget(conn)
            conn.data_ready = True
            self.enqueue_req(conn)

    def forget(self, conn: Connection) -> None:
        """Stop reading a connection in the loop."""
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)

    def close(self, conn: Connection) -> None:
        self.nr_conns -= 1
        conn.close()

    def send(self, conn: Connection, data: bytes) -> bool:
        """Send a few bytes without blocking; return whether they went."""
        try:
            return conn.sock.send(data) == len(data)
        except OSError:
            return False

    def refuse(self, conn: Connection, status: int, message: str, headers: str = "") -> None:
        """Answer a request from the loop, then read and drop what the client still sends, and close."""
        self.forget(conn)
        conn.request = RequestReader()      # what it held no longer counts against the budget
        self.log.warning("Refused a request from %s: %s %s", conn.client[0] if conn.client else "", status, message)
        if not self.send(conn, json_error(status, message, headers)):
            self.close(conn)
            return
        # Closing with unread bytes would reset the connection and could lose the answer.
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(conn)
            return
        self.watch(conn, DRAIN_SECONDS, self.read)

    def on_client_socket_readable(self, conn, client):
        # A kept-alive connection is sending its next request: read it in the loop too.
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.await_request(conn)

    def handle_error(self, req, client, addr, exc):
        status = status_of(exc)
        if status < 500:
            self.log.warning("Invalid request from %s: %s", (addr or ("",))[0], exc)
            message = str(exc) or errors.reason(status)
        else:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
            message = errors.INTERNAL_MESSAGE
        try:
            util.write_nonblock(client, json_error(status, message))
        except Exception:
            self.log.debug("Failed to send error message.")
