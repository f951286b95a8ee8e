"""Pick the passages of a body that hold the query's terms and mark them.

Whoosh's highlighter runs every token through the analyzer's generator chain,
which took three quarters of a search's time. Here one regular expression finds
only the words that begin with a query term's stem, and just those are stemmed
(through a cache) to confirm them.
The result is HTML where only <mark> is markup: all article text is escaped.
"""
from __future__ import annotations

import bisect
import html
import re
from functools import lru_cache

from whoosh.support.charset import accent_map

from chancery.search import analysis

SNIPPET_CHARS = 240
LEAD_CHARS = 60
FRAGMENTS = 2
SEPARATOR = " … "
MAX_MATCHES = 500


_TERMS: dict[str, str] = {}
TERM_CACHE_SIZE = 200_000


def term_of(word: str) -> str:
    """Return the index term of one lowercase word ("" for a stop word), cached."""
    found = _TERMS.get(word)
    if found is None:
        if len(_TERMS) >= TERM_CACHE_SIZE:
            _TERMS.clear()
        terms = analysis.terms(word)
        found = _TERMS[word] = terms[0] if terms else ""
    return found


# Accented letters that fold to one letter: folding with them keeps every offset.
_FOLD = {code: text for code, text in accent_map.items() if isinstance(text, str) and len(text) == 1}


@lru_cache(maxsize=1024)
def _candidates(terms: frozenset[str]) -> re.Pattern:
    """Return a pattern for words that may stem to the terms: words they begin.

    A Snowball stem begins its word, except where a final "y" became "i"
    (countries: countri), so that letter is left off.
    """
    prefixes = sorted({term[:-1] if term.endswith("i") and len(term) > 2 else term for term in terms if term},
                      key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, prefixes)) + r")[^\W_]*")


def _matches(body: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """Return (start, end, term) of the first MAX_MATCHES words of the body whose term is wanted.

    Passages are chosen among these: a word repeated 100,000 times would otherwise
    make a snippet cost seconds.
    """
    folded = body.lower()
    if len(folded) != len(body):        # a few characters change length when lowered
        folded = body
    if not folded.isascii():
        folded = folded.translate(_FOLD)
    found = []
    for match in _candidates(frozenset(terms)).finditer(folded):
        term = term_of(match.group())
        if term in terms:
            found.append((match.start(), match.end(), term))
            if len(found) >= MAX_MATCHES:
                break
    return found


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
    matches = _matches(body, terms) if terms else []
    if not matches:
        begin, end = _window(body, 0, size)
        return _render(body, 0, end, [])
    starts = [start for start, _, _ in matches]
    chosen: list[tuple[int, int]] = []
    for _ in range(FRAGMENTS):
        best, best_score = None, 0.0
        for start, _, _ in matches:
            begin, end = _window(body, start, size // FRAGMENTS if chosen or len(matches) > 1 else size)
            if any(begin < c_end and end > c_begin for c_begin, c_end in chosen):
                continue
            window = matches[bisect.bisect_left(starts, begin):bisect.bisect_left(starts, end)]
            inside = [t for _, e, t in window if e <= end]
            score = len(set(inside)) + 0.1 * len(inside)
            if score > best_score:
                best, best_score = (begin, end), score
        if best is None:
            break
        chosen.append(best)
    chosen.sort()
    return " ".join(_render(body, begin, end, matches) for begin, end in chosen).replace(" … … ", SEPARATOR)
