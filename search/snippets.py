"""Pick the passages of a body that hold the query's terms and mark them.

Whoosh's highlighter runs every token through the analyzer's generator chain,
which took three quarters of a search's time; here words are found with one regular
expression and stemmed through a cache, so a snippet costs a fraction of that.
The result is HTML where only <mark> is markup: all article text is escaped.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from search import analysis

WORD_RE = re.compile(analysis.TOKEN_PATTERN)
SNIPPET_CHARS = 240
LEAD_CHARS = 60
FRAGMENTS = 2
SEPARATOR = " … "


@lru_cache(maxsize=200_000)
def term_of(word: str) -> str | None:
    """Return the index term of one word (None for a stop word)."""
    found = analysis.terms(word)
    return found[0] if found else None


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _window(body: str, start: int, size: int) -> tuple[int, int]:
    """Return a span of about size characters around start, cut at spaces."""
    begin = max(0, start - LEAD_CHARS)
    if begin > 0:
        space = body.find(" ", begin, start)
        begin = space + 1 if space != -1 else begin
    end = min(len(body), begin + size)
    if end < len(body):
        space = body.rfind(" ", begin + size // 2, end)
        end = space if space != -1 else end
    return begin, end


def _render(body: str, begin: int, end: int, matches: list[tuple[int, int, str]]) -> str:
    out, position = [], begin
    for start, stop, _ in matches:
        if start >= begin and stop <= end:
            out.append(_escape(body[position:start]))
            out.append("<mark>" + _escape(body[start:stop]) + "</mark>")
            position = stop
    out.append(_escape(body[position:end]))
    text = "".join(out)
    return ("… " if begin > 0 else "") + text + (" …" if end < len(body) else "")


def snippet(body: str, terms: set[str], size: int = SNIPPET_CHARS) -> str:
    """Return up to two passages holding the most distinct query terms, as safe HTML."""
    matches = [(m.start(), m.end(), term) for m in WORD_RE.finditer(body)
               if (term := term_of(m.group().lower())) in terms] if terms else []
    if not matches:
        begin, end = _window(body, 0, size)
        return _render(body, 0, end, [])
    chosen: list[tuple[int, int]] = []
    for _ in range(FRAGMENTS):
        best, best_score = None, 0.0
        for start, _, _ in matches:
            begin, end = _window(body, start, size // FRAGMENTS if chosen or len(matches) > 1 else size)
            if any(begin < c_end and end > c_begin for c_begin, c_end in chosen):
                continue
            inside = [t for s, e, t in matches if s >= begin and e <= end]
            score = len(set(inside)) + 0.1 * len(inside)
            if score > best_score:
                best, best_score = (begin, end), score
        if best is None:
            break
        chosen.append(best)
    chosen.sort()
    return " ".join(_render(body, begin, end, matches) for begin, end in chosen).replace(" … … ", SEPARATOR)
