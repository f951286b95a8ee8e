"""Turn text into index terms: tokenize, fold case and accents, drop stop words, stem.

The same analyzer serves title and body, at index and at query time. Whoosh pickles
it into the index's table of contents, so every stage here must be importable from
this module by any process that opens the index.
"""
from __future__ import annotations

from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

from search import data

# Letters and digits of any script, so Cyrillic or Greek text is kept, not dropped.
TOKEN_PATTERN = r"[^\W_]+"
STEM_CACHE_SIZE = 100_000

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


def analyzer():
    """Return the analyzer chain: tokenizer | lowercase | accent fold | stop | stem."""
    return (tokenizer()
            | LowercaseFilter()
            | CharsetFilter(accent_map)
            | StopFilter(stoplist=stopwords(), minsize=1)
            | StemFilter(stemfn=stem, cachesize=STEM_CACHE_SIZE))


@lru_cache(maxsize=1)
def shared() -> object:
    """Return one analyzer per process, so its stem cache is kept between calls."""
    return analyzer()


def terms(text: str) -> list[str]:
    """Return the index terms of a text, in order."""
    return [token.text for token in shared()(text)]
