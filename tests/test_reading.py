"""Reading requests in the event loop: when one is complete, when its body is over the limit."""
from __future__ import annotations

import pytest

from chancery.reading import RequestReader

HEAD = b"POST /api/articles HTTP/1.1\r\nHost: t\r\n"
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"

COMPLETE = [
    # (what the loop has read, whether a thread may take it now)
    (b"GET /api/health HTTP/1.1\r\nHost: t\r\n", False),
    (b"GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n", True),
    (HEAD + b"Content-Length: 5\r\n\r\nabc", False),
    (HEAD + b"Content-Length: 5\r\n\r\nabcde", True),
    (HEAD + b"Content-Length: five\r\n\r\n", True),             # for the parser to refuse
    (HEAD + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n", False),
    (HEAD + b"Expect: something-else\r\nContent-Length: 5\r\n\r\n", True),   # gunicorn answers 417
    (CHUNKED + b"3\r\nabc\r\n", False),
    (CHUNKED + b"3\r\nabc\r\n0\r\n\r\n", True),
    (CHUNKED + b"3\r\nabc\r\n0\r\nX-Sum: 1\r\n", False),
    (CHUNKED + b"3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n", True),
    (CHUNKED + b"zz\r\n", True),                                # malformed sizes: for the parser
    (CHUNKED + b"-10\r\nabc\r\n", True),
    (CHUNKED + b"1" * 2000, True),
    (HEAD + b"Transfer-Encoding: gzip\r\n\r\n", True),
]


@pytest.mark.parametrize("data, complete", COMPLETE)
@pytest.mark.parametrize("arrivals", [1, 3, 7], ids=["at once", "in 3", "in 7"])
def test_a_request_is_complete_once_all_of_it_is_read(data, complete, arrivals):
    reader = RequestReader()
    step = len(data) // arrivals + 1
    for start in range(0, len(data), step):
        reader.feed(data[start:start + step])
    assert reader.complete() is complete


@pytest.mark.parametrize("data, over", [
    (HEAD + b"Content-Length: 100\r\n\r\n", False),
    (HEAD + b"Content-Length: 101\r\n\r\n", True),             # refused before any of it arrives
    (CHUNKED + b"64\r\n" + b"x" * 100 + b"\r\n", False),
    (CHUNKED + b"64\r\n" + b"x" * 100 + b"\r\n1\r\n", True),   # the next chunk's size is enough
    (CHUNKED + b"65\r\n", True),
])
def test_a_body_is_over_the_limit_as_soon_as_it_says_so(data, over):
    reader = RequestReader()
    reader.feed(data)
    reader.complete()
    assert reader.over(100) is over


def test_a_chunked_body_of_many_small_chunks_is_scanned_once():
    reader = RequestReader()
    reader.feed(CHUNKED)
    for _ in range(2000):
        reader.feed(b"1\r\nx\r\n" * 100)
        assert not reader.complete()
    # Each call resumed where the last stopped: the scan is at the end, not at the start.
    assert reader.scan == len(reader.data) and reader.body_size == 200_000
    reader.feed(b"0\r\n\r\n")
    assert reader.complete()


def test_the_loop_answers_100_continue_and_the_parser_never_sees_the_expectation():
    reader = RequestReader()
    assert reader.feed(HEAD + b"Expect: 100-Continue\r\nContent-Length: 3\r\n\r\nab")
    assert reader.take_expectation()
    reader.feed(b"c")
    assert reader.complete()
    assert bytes(reader.data) == HEAD + b"Content-Length: 3\r\n\r\nabc"


def test_another_expectation_is_left_for_gunicorn_to_refuse():
    reader = RequestReader()
    reader.feed(HEAD + b"Expect: something-else\r\nContent-Length: 3\r\n\r\n")
    assert not reader.take_expectation() and reader.complete()
