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


MAX_SIZE_LINE = 1024     # a chunk-size line longer than this is malformed


class RequestReader:
    """The bytes of one request as the event loop receives them, and whether they are all there.

    Each arrival is scanned once: the head's end is looked for in the new bytes only,
    and a chunked body is walked on from the first chunk not yet complete.
    """

    def __init__(self):
        self.data = bytearray()
        self.head_end = -1      # where the head ends in data, once it has
        self.scan = -1          # where the next chunk of a chunked body starts

    def feed(self, data: bytes) -> None:
        start = max(0, len(self.data) - len(END_OF_HEAD) + 1)
        self.data += data
        if self.head_end < 0:
            self.head_end = self.data.find(END_OF_HEAD, start)
            self.scan = self.head_end + len(END_OF_HEAD)

    def complete(self, room: int) -> bool:
        """Whether a thread may take the request: it is all here, or the loop should not hold it.

        room: the bytes the loop may hold for this request.
        """
        if self.head_end < 0:
            return len(self.data) >= MAX_HEAD
        framing = body_framing(bytes(self.data[:self.head_end]))
        if framing == AT_ONCE or len(self.data) >= room:
            return True
        if framing == CHUNKED:
            return self._chunked_complete()
        whole = self.head_end + len(END_OF_HEAD) + framing
        return whole > room or len(self.data) >= whole

    def _chunked_complete(self) -> bool:
        data = self.data
        while True:
            line_end = data.find(b"\r\n", self.scan, self.scan + MAX_SIZE_LINE)
            if line_end < 0:
                # Malformed past the longest size line (for the parser to refuse), else still coming.
                return len(data) - self.scan >= MAX_SIZE_LINE
            try:
                size = int(bytes(data[self.scan:line_end]).split(b";")[0], 16)
            except ValueError:
                size = -1
            if size < 0:
                return True     # for the parser to refuse
            if size == 0:
                # The last chunk, then trailer fields (at most a head's worth) and an empty line.
                return (data.startswith(b"\r\n", line_end + 2) or data.find(END_OF_HEAD, line_end) >= 0
                        or len(data) - line_end >= MAX_HEAD)
            following = line_end + 2 + size + 2
            if following > len(data):
                return False
            self.scan = following


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
        self.request = RequestReader()
        self.read_timeout = read_timeout

    def init(self):
        # Called by the thread before every request on the connection, after the
        # socket was made blocking: give the parser what the loop read, and bound
        # the blocking reads and writes that follow.
        super().init()
        if self.request.data:
            self.parser.unreader.unread(bytes(self.request.data))
            self.request = RequestReader()
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
            held = sum(len(other.request.data) for other in self.pending_conns if other is not conn)
            if not conn.request.complete(BUFFER_BUDGET - held):
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
        conn.request.feed(data)
        if conn.request.head_end >= 0:
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
