"""The gunicorn worker: slow clients cost no thread, and gunicorn's own errors are JSON.

gunicorn's threaded worker hands a connection to a thread as soon as it has any
data, and the thread then blocks until the whole request arrives: two clients
sending half a request held both sync workers for a minute. Here the event loop
reads each request without blocking (its head, and its body while all requests
being read fit in BUFFER_BUDGET) and gives the connection to a thread only once
that is complete; a request not read within the read timeout is dropped. From
then on every read and write on the connection has that timeout too, so a client
that stalls in a body the loop could not hold, or stops reading, frees its thread
after that time. Each thread keeps its own index searcher
(search.searcher.Service).
"""
from __future__ import annotations

import json
import selectors
import time
from functools import partial

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread

from api import errors

END_OF_HEAD = b"\r\n\r\n"
# The loop reads requests whole (head and body), as a buffering proxy would, while
# the bytes it holds for all of them stay within this budget; past it a request
# goes to a thread once its head is read.
BUFFER_BUDGET = 32 * 2**20
# A head still not complete past this many bytes goes to a thread too, for the
# parser to refuse against limit_request_line and limit_request_fields.
MAX_HEAD = 256 * 1024

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


CHUNKED, AT_ONCE = "chunked", "at once"


def body_framing(head: bytes) -> int | str:
    """Return how a request's body ends: its length, CHUNKED, or AT_ONCE (a thread must read it)."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"transfer-encoding":
            return CHUNKED if value.split(b",")[-1].strip() == b"chunked" else AT_ONCE
        if name == b"expect":
            return AT_ONCE      # the client sends its body only after "100 Continue"
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return AT_ONCE  # for the parser to refuse
    return length


def chunked_end(data: bytes, start: int) -> int | None:
    """Return where a chunked body that begins at start ends in data, or None while it is incomplete."""
    at = start
    while True:
        line_end = data.find(b"\r\n", at)
        if line_end < 0:
            return None
        try:
            size = int(data[at:line_end].split(b";")[0], 16)
        except ValueError:
            return at           # malformed: the parser refuses it
        if size == 0:
            if data.startswith(b"\r\n", line_end + 2):
                return line_end + 4
            trailers_end = data.find(END_OF_HEAD, line_end)
            return None if trailers_end < 0 else trailers_end + len(END_OF_HEAD)
        at = line_end + 2 + size + 2
        if at > len(data):
            return None


def request_buffered(data: bytes, room: int, end: int | None = None) -> bool:
    """Whether the loop has read enough of a request to hand it to a thread.

    room: the bytes it may hold; end: where the head ends in data, when known.
    """
    end = data.find(END_OF_HEAD) if end is None else end
    if end < 0:
        return len(data) >= MAX_HEAD
    body = end + len(END_OF_HEAD)
    framing = body_framing(data[:end])
    if framing == AT_ONCE or len(data) >= room:
        return True
    if framing == CHUNKED:
        return chunked_end(data, body) is not None
    return body + framing > room or len(data) >= body + framing


def status_of(exc: Exception) -> int:
    """Return the HTTP status gunicorn's error is answered with: 500 when it is not the client's."""
    return next((status for kind, status in PARSE_STATUS if isinstance(exc, kind)), 500)


def json_error(status: int, message: str) -> bytes:
    """Return a whole HTTP/1.1 response carrying the JSON error shape of the API."""
    body = json.dumps({"error": errors.error_body(status, errors.CODES.get(status, "http_error"), message)},
                      ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {errors.reason(status)}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "X-Content-Type-Options: nosniff\r\n\r\n")
    return head.encode("latin-1") + body


class Connection(gthread.TConn):
    """A client connection whose request the event loop may read before a thread takes it."""

    def __init__(self, cfg, sock, client, server, read_timeout: float):
        super().__init__(cfg, sock, client, server)
        self.buffered = bytearray()
        self.head_end = -1          # where the head ends in buffered, once it has
        self.read_timeout = read_timeout

    def init(self):
        # Called by the thread before every request on the connection, after the
        # socket was made blocking: give the parser what the loop read, and bound
        # the blocking reads and writes that follow.
        super().init()
        if self.buffered:
            self.parser.unreader.unread(bytes(self.buffered))
            self.buffered, self.head_end = bytearray(), -1
        self.sock.settimeout(self.read_timeout)


class Worker(gthread.ThreadWorker):
    """gthread, with request heads read by the event loop and errors answered as JSON."""

    @property
    def read_timeout(self) -> float:
        from chancery import settings
        return getattr(self.app, "read_timeout", settings.SETTINGS["read_timeout"].default)

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError:     # another worker took it, or the client went away
            return
        self.nr_conns += 1
        self.await_request(Connection(self.cfg, client_sock, client_addr, listener.getsockname(),
                                      self.read_timeout))

    def await_request(self, conn: Connection) -> None:
        """Read the connection's next request in the event loop, for at most the read timeout."""
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + self.read_timeout
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_readable, conn))

    def on_request_readable(self, conn: Connection, sock) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.receive(conn, data)
            held = sum(len(other.buffered) for other in self.pending_conns if other is not conn)
            if not request_buffered(conn.buffered, BUFFER_BUDGET - held, conn.head_end):
                return
        self.poller.unregister(sock)
        self.pending_conns.remove(conn)
        if not data:
            self.nr_conns -= 1
            conn.close()
            return
        conn.data_ready = True
        self.enqueue_req(conn)

    def receive(self, conn: Connection, data: bytes) -> None:
        """Add data to a connection's request; once its head is read, each arrival extends its time."""
        start = max(0, len(conn.buffered) - len(END_OF_HEAD) + 1)
        conn.buffered += data
        if conn.head_end < 0:
            conn.head_end = conn.buffered.find(END_OF_HEAD, start)
        if conn.head_end >= 0:
            # A body may take as long as it keeps arriving (as with nginx's client_body_timeout):
            # it holds no thread meanwhile. The pending queue stays in order of deadline.
            conn.timeout = time.monotonic() + self.read_timeout
            self.pending_conns.remove(conn)
            self.pending_conns.append(conn)

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
