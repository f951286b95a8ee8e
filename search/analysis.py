"""Turn text into index terms: tokenize, fold case and accents, drop stop words, stem.

The same analyzer serves title and body, at index and at query time. `pipeline()`
defines it as composed Whoosh stages; `Analyzer` runs the same stages in one loop,
because Whoosh's chain of nested generators cost more than half of indexing time
(a test checks that both give the same tokens). Whoosh pickles the analyzer into
the index's table of contents, so this module must stay importable by any process
that opens the index.
"""
from __future__ import annotations

from functools import lru_cache

import re
import sys

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import Analyzer as WhooshAnalyzer
from whoosh.support.charset import accent_map

from chancery.search import data


def _snowball():
    """Import NLTK's Snowball stemmer class without the scipy.stats that NLTK's package import pulls in."""
    # nltk/__init__ imports its collocation measures, which import scipy.stats when scipy is
    # installed (it is, for facet counting): 0.6 s of every worker's start for a test the
    # stemmer never runs. Unimportable meanwhile, NLTK takes its own fallback.
    blocked = "scipy.stats" not in sys.modules
    if blocked:
        sys.modules["scipy.stats"] = None
    try:
        from nltk.stem.snowball import SnowballStemmer
    finally:
        if blocked:
            del sys.modules["scipy.stats"]
    return SnowballStemmer


SnowballStemmer = _snowball()

# Letters and digits of any script, so Cyrillic or Greek text is kept, not dropped.
TOKEN_PATTERN = r"[^\W_]+"
STEM_CACHE_SIZE = 100_000
# Far above any real article's count of one word; 10,000 positions encode in < 64 KB.
MAX_POSITIONS = 10_000

_stemmer = SnowballStemmer("english")


def stem(word: str) -> str:
    """Stem one lowercase word with NLTK's Snowball English stemmer."""
    return _stemmer.stem(word)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the shipped English stop-word list."""
    return frozenset(data.words("stopwords.txt"))


def tokenizer() -> RegexTokenizer:
    """Return the Unicode word tokenizer (keeps positions and character offsets)."""
    return RegexTokenizer(TOKEN_PATTERN)


class CapFilter(Filter):
    """At indexing, keep at most MAX_POSITIONS occurrences of one term in one field value.

    Whoosh stores the positions of a term found in one document inline, with a
    16-bit length: a word repeated 140,000 times cannot be written at all.
    """

    def __call__(self, tokens):
        seen: dict[str, int] = {}
        for token in tokens:
            if token.mode == "index" and not token.stopped:
                count = seen[token.text] = seen.get(token.text, 0) + 1
                if count > MAX_POSITIONS:
                    continue
            yield token


def pipeline():
    """Return the analyzer as composed stages: tokenizer | lowercase | accent fold | stop | stem | cap."""
    return (tokenizer()
            | LowercaseFilter()
            | CharsetFilter(accent_map)
            | StopFilter(stoplist=stopwords(), minsize=1)
            | StemFilter(stemfn=stem, cachesize=STEM_CACHE_SIZE)
            | CapFilter())


_STEMS: dict[str, str] = {}
_TOKEN_RE = re.compile(TOKEN_PATTERN)


def folded(word: str) -> str:
    """Return a word lowercased and without accents (an ASCII word has none to lose: not translated)."""
    word = word.lower()
    return word if word.isascii() else word.translate(accent_map)


def cached_stem(word: str) -> str:
    """Stem a word through a process-wide cache, emptied when it grows past its size."""
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) >= STEM_CACHE_SIZE:
            _STEMS.clear()
        found = _STEMS[word] = stem(word)
    return found


class Analyzer(WhooshAnalyzer):
    """The pipeline's stages in one loop: the same tokens, without a generator per stage."""

    def has_morph(self) -> bool:
        """Say that words are stemmed, so Whoosh keeps their unstemmed forms for spelling."""
        return True

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", no_morph=False, **kwargs):
        if not tokenize:
            chain = pipeline()
            yield from chain(value, positions=positions, chars=chars, keeporiginal=keeporiginal,
                             removestops=removestops, start_pos=start_pos, start_char=start_char,
                             tokenize=False, mode=mode, no_morph=no_morph, **kwargs)
            return
        stops = stopwords()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        kept = None
        seen: dict[str, int] | None = {} if mode == "index" else None
        for index, match in enumerate(_TOKEN_RE.finditer(value)):
            text = folded(match.group(0))
            stopped = text in stops
            if stopped and removestops:
                continue
            token.text = text if stopped or no_morph else cached_stem(text)
            if seen is not None and not stopped:
                count = seen[token.text] = seen.get(token.text, 0) + 1
                if count > MAX_POSITIONS:
                    continue
            token.boost = 1.0
            token.stopped = stopped
            if keeporiginal:
                token.original = match.group(0)
            if positions:
                # Kept words are numbered on from the first one, as StopFilter renumbers.
                if stopped:
                    token.pos = start_pos + index
                else:
                    kept = start_pos + index if kept is None else kept + 1
                    token.pos = kept
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def analyzer() -> Analyzer:
    """Return the analyzer of title and body (the pipeline, fused)."""
    return Analyzer()


@lru_cache(maxsize=1)
def shared() -> object:
    """Return one analyzer per process, so its stem cache is kept between calls."""
    return analyzer()


def terms(text: str) -> list[str]:
    """Return the index terms of a text, in order (the analyzer's, without its Token per word)."""
    stops = stopwords()
    words = map(folded, _TOKEN_RE.findall(text))
    return [cached_stem(word) for word in words if word not in stops]


def positions(text: str, wanted: set[str]) -> list[tuple[int, str]]:
    """Return (position, term) of the wanted terms in a text, numbered as the index numbers them, up to a
    constant (kept words in order; a term's occurrences past MAX_POSITIONS are dropped and not counted)."""
    found, seen, position = [], {}, 0
    for term in terms(text):
        count = seen[term] = seen.get(term, 0) + 1
        if count > MAX_POSITIONS:
            continue
        if term in wanted:
            found.append((position, term))
        position += 1
    return found
