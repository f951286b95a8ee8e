"""Read HTTP/1.1 requests in the event loop: when one is complete, and when its body is over the limit.

The worker's event loop feeds a RequestReader the bytes of a connection as they
arrive; the reader says when the request (head and body) is all there, so that a
thread can take it without ever waiting on the client. Each arrival is scanned
once: the head's end is looked for in the new bytes only, and a chunked body is
walked on from the first chunk not yet complete.
"""
from __future__ import annotations

END_OF_HEAD = b"\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# A head still not complete past this many bytes goes to a thread, for gunicorn's
# parser to refuse against limit_request_line and limit_request_fields.
MAX_HEAD = 256 * 1024
MAX_SIZE_LINE = 1024     # a chunk-size line longer than this is malformed
CHUNKED, AT_ONCE = "chunked", "at once"


def body_framing(head: bytes) -> int | str:
    """Return how a request's body ends: its length, CHUNKED, or AT_ONCE (for the parser to judge)."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"transfer-encoding":
            return CHUNKED if value.split(b",")[-1].strip() == b"chunked" else AT_ONCE
        if name == b"expect" and value != b"100-continue":
            return AT_ONCE      # gunicorn answers 417
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return AT_ONCE
    return length


class RequestReader:
    """The bytes of one request as the event loop receives them."""

    def __init__(self):
        self.data = bytearray()
        self.head_end = -1      # where the head ends in data, once it has
        self.framing: int | str | None = None
        self.scan = -1          # where the next chunk of a chunked body starts
        self.chunks_size = 0    # a chunked body's complete chunks, in bytes
        self.body_size = 0      # ... and the announced size of the next

    def feed(self, data: bytes) -> bool:
        """Add bytes; return True when they complete the head."""
        start = max(0, len(self.data) - len(END_OF_HEAD) + 1)
        self.data += data
        if self.head_end >= 0:
            return False
        self.head_end = self.data.find(END_OF_HEAD, start)
        if self.head_end < 0:
            return False
        self.scan = self.head_end + len(END_OF_HEAD)
        self.framing = body_framing(bytes(self.data[:self.head_end]))
        return True

    def take_expectation(self) -> bool:
        """Drop an "Expect: 100-continue" line from the head; return whether there was one.

        The loop answers the expectation itself and reads the body; gunicorn, which
        would answer it once a thread had the request, never sees it.
        """
        lines = bytes(self.data[:self.head_end]).split(b"\r\n")
        kept = [line for line in lines if line.lower().replace(b" ", b"").replace(b"\t", b"") != b"expect:100-continue"]
        if len(kept) == len(lines):
            return False
        head = b"\r\n".join(kept)
        self.scan -= self.head_end - len(head)
        self.data[:self.head_end] = head
        self.head_end = len(head)
        return True

    def over(self, limit: int) -> bool:
        """Whether the body is, or is announced to be, larger than limit bytes."""
        if isinstance(self.framing, int):
            return self.framing > limit
        return self.framing == CHUNKED and self.body_size > limit

    def complete(self) -> bool:
        """Whether a thread may take the request: it is all here, or it is for the parser to refuse."""
        if self.head_end < 0:
            return len(self.data) >= MAX_HEAD
        if self.framing == AT_ONCE:
            return True
        if self.framing == CHUNKED:
            return self._chunked_complete()
        return len(self.data) >= self.head_end + len(END_OF_HEAD) + self.framing

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
            self.body_size = self.chunks_size + size
            if following > len(data):
                return False
            self.chunks_size = self.body_size
            self.scan = following
