"""Parse what a person types or pastes into a Whoosh query tree, resolved and bounded.

Plain words rank by relevance and need not all match (OR); quoted phrases, AND, OR,
NOT, -word, +word, field:value and prefix* work where search.querylex reads them as
operators, and everything else is words. A word joined by hyphens or dots
("anti-Russia", "U.S.-Russia") is searched as its parts and as a phrase of them, so
it never excludes anything. Facet fields take any alias (person:Lavrov is Sergey
Lavrov). A prefix needs MIN_PREFIX characters (a shorter one is the word itself)
and expands to at most MAX_PREFIX_TERMS words; it is matched on the unstemmed words
and then stemmed, so "negotiat*" finds "negotiations". A long query (a pasted
paragraph) is searched by its MAX_TERMS most informative words, with no operators.
"""
from __future__ import annotations

import math
from bisect import bisect_left
import unicodedata
from collections import Counter

import numpy as np
from whoosh import query as wq

from chancery.search import analysis, entities, schema
from chancery.search.querylex import Token, tokenize, words

TEXT_FIELDS = ("title", "body")
QUERY_FIELDS = TEXT_FIELDS + schema.FACETS + ("id",)
MIN_PREFIX = 3
MAX_PREFIX_TERMS = 64
MAX_QUERY_CHARS = 20_000     # past this the text is cut at a space
MAX_TERMS = 64               # a longer query keeps its words of highest idf
LONG_QUERY_WORDS = 200       # a query of more words is read as a bag of words
PHRASE_BOOST = 0.3           # a compound's phrase adds this share of its words' score


class QueryError(ValueError):
    """A query or filter value that cannot be searched; the message says why."""

    def __init__(self, message: str, parameter: str = "q"):
        super().__init__(message)
        self.parameter = parameter


class Word(wq.Or):
    """One stem searched in title and body together, scored as one BM25F term."""

    @property
    def stem(self) -> str:
        return str(self.subqueries[0].text)


def word(stem: str, boost: float = 1.0) -> Word:
    """Return the node of one stem over the text fields."""
    return Word([wq.Term(f, stem) for f in TEXT_FIELDS], boost=boost)


def fold(text: str) -> str:
    """Lowercase and strip accents, for comparing user input with names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def resolve_facet_value(facet: str, value: str, known: list[str] | None = None) -> str:
    """Return the canonical value for any alias of a facet value (unknown ones as given)."""
    value = " ".join(value.split())
    if facet == "person":
        return entities.canonical_person(value) or value
    if facet == "country":
        return entities.canonical_country(value) or value
    if facet == "topic":
        wanted = fold(value)
        for slug, label in entities.gazetteer().topics.items():
            if wanted in (slug, fold(label)):
                return slug
        return value
    if facet == "source":
        source = entities.known_source(value)
        if source:
            return source
        return next((k for k in known or () if fold(k) == fold(value)), value)
    raise QueryError(f"unknown facet {facet!r}", facet)


def cut(text: str) -> str:
    """Return the text cut to MAX_QUERY_CHARS at a space."""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    head = text[:MAX_QUERY_CHARS + 1]
    return head[:head.rfind(" ")] if " " in head else head[:MAX_QUERY_CHARS]


def parse(text: str, searcher, facet_values: dict[str, list[str]] | None = None, vocabulary=None) -> wq.Query:
    """Parse query text into a tree ready to evaluate; raise QueryError only for an unknown field."""
    text = cut(text)
    if not text.strip():
        return wq.Every()
    stems = analysis.terms(text)
    if len(text.split()) > LONG_QUERY_WORDS or len(set(stems)) > MAX_TERMS:
        return bag_of_words(stems, searcher)
    try:
        return _Parser(tokenize(text), searcher, facet_values or {}, vocabulary).parse()
    except QueryError:
        raise
    except Exception:  # noqa: BLE001 - any other failure falls back to the words
        return bag_of_words(analysis.terms(words(text)), searcher)


def bag_of_words(stems: list[str], searcher) -> wq.Query:
    """Return the OR of the MAX_TERMS stems of highest idf, each weighted by how often it was asked."""
    counts = Counter(stems)
    if not counts:
        return wq.NullQuery
    reader = searcher.reader()
    total = max(reader.doc_count(), 1)

    def idf(stem: str) -> float:
        df = max(reader.doc_frequency(f, stem) for f in TEXT_FIELDS)
        return math.log((total + 1) / (df + 0.5)) if df else -1.0
    kept = sorted(counts, key=lambda s: (-idf(s), s))[:MAX_TERMS]
    return wq.Or([word(s, boost=1.0 + math.log(counts[s])) for s in kept if idf(s) >= 0])


class _Parser:
    """A recursive-descent reader of querylex tokens."""

    def __init__(self, tokens: list[Token], searcher, facet_values: dict, vocabulary=None):
        self.tokens, self.i = tokens, 0
        self.searcher, self.facet_values = searcher, facet_values
        # () -> (sorted words, their document counts): the index's unstemmed words.
        self.vocabulary = vocabulary

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> wq.Query:
        node = self.group()
        while self.peek() is not None:  # a stray closing bracket: read on as text
            self.take()
            node = wq.Or([node, self.group()])
        return node

    def group(self) -> wq.Query:
        """Read items up to a closing bracket: optional, required (+, AND) and excluded (-, NOT)."""
        optional, required, excluded = [], [], []
        while (token := self.peek()) is not None and token.kind != "close":
            if token.kind in ("and", "or"):
                self.take()         # a keyword with nothing before it is nothing
                continue
            mode, node = self.item()
            while (nxt := self.peek()) is not None and nxt.kind in ("and", "or") and self._after_keyword():
                self.take()
                other_mode, other = self.item()
                if other_mode == "exclude":
                    excluded.append(other)
                elif node is not None and other is not None:
                    node = (wq.And if nxt.kind == "and" else wq.Or)([node, other])
                else:
                    node = node or other
            if node is not None:
                {"optional": optional, "require": required, "exclude": excluded}[mode].append(node)
        if not required and not optional and not excluded:
            return wq.NullQuery
        if required and optional:
            result = wq.AndMaybe(_one(wq.And, required), _one(wq.Or, optional))
        elif required or optional:
            result = _one(wq.And, required) if required else _one(wq.Or, optional)
        else:
            result = wq.Every()
        return wq.AndNot(result, _one(wq.Or, excluded)) if excluded else result

    def _after_keyword(self) -> bool:
        """Say whether a keyword stands between words (something follows it)."""
        following = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        return following is not None and following.kind not in ("close", "and", "or")

    def item(self) -> tuple[str, wq.Query | None]:
        """Read one item with its +, - or NOT."""
        token = self.take()
        if token.kind in ("plus", "minus", "not") and self.peek() is not None and self.peek().kind != "close":
            mode = "require" if token.kind == "plus" else "exclude"
            return mode, self.atom(self.take(), strict=True)
        if token.kind in ("plus", "minus", "not"):
            return "optional", None
        return "optional", self.atom(token)

    def atom(self, token: Token, strict: bool = False) -> wq.Query | None:
        if token.kind == "open":
            node = self.group()
            if self.peek() is not None:
                self.take()
            return None if node is wq.NullQuery else node
        if token.kind == "field":
            return self.field(token.text)
        if token.kind == "phrase":
            return _text(analysis.terms(token.text), TEXT_FIELDS, strict=True)
        if token.kind == "word" and token.prefix and len(_plain(token.text)) >= MIN_PREFIX:
            return self.prefix(TEXT_FIELDS, _plain(token.text))
        if token.kind == "word":
            return _text(analysis.terms(token.text), TEXT_FIELDS, strict)
        return None     # a keyword where a word was wanted ("NOT NOT")

    def field(self, name: str) -> wq.Query | None:
        if name not in QUERY_FIELDS:
            raise QueryError(f"unknown field {name!r}: use one of {', '.join(QUERY_FIELDS)}")
        token = self.take() if self.peek() is not None else Token("word")
        raw = token.text
        if token.kind == "open":    # field:(a b) is read as the group (in title and body)
            return self.atom(token)
        if token.prefix and len(_plain(raw)) >= MIN_PREFIX:
            return self.prefix((name,), _plain(raw))
        if name in schema.FACETS:
            return wq.Term(name, resolve_facet_value(name, raw, self.facet_values.get(name)))
        if name == "id":
            return wq.Term("id", raw)
        return _text(analysis.terms(raw), (name,), strict=True)

    def prefix(self, fields: tuple[str, ...], prefix: str) -> wq.Query | None:
        """Expand prefix* into the indexed words that start with it, most frequent first."""
        nodes = [_expand_prefix(f, prefix, self.searcher, self.facet_values, self.vocabulary) for f in fields]
        nodes = [n for n in nodes if n is not wq.NullQuery]
        return _one(wq.Or, nodes) if nodes else wq.NullQuery


def _plain(text: str) -> str:
    return text.strip(".,;:!?'\"")


def _one(kind, nodes: list[wq.Query]) -> wq.Query:
    return nodes[0] if len(nodes) == 1 else kind(nodes)


def _text(stems: list[str], fields: tuple[str, ...], strict: bool = False) -> wq.Query | None:
    """Return the node of a word's or phrase's stems: a compound is its parts or its phrase.

    strict (a quoted phrase, a +/- word, a field) asks for the phrase itself; otherwise
    the parts match and the phrase ranks higher.
    """
    if not stems:
        return None
    if len(stems) == 1:
        return word(stems[0]) if fields == TEXT_FIELDS else wq.Term(fields[0], stems[0])
    phrase = _one(wq.Or, [wq.Phrase(f, stems) for f in fields])
    if strict:
        return phrase
    parts = [word(s) if fields == TEXT_FIELDS else wq.Term(fields[0], s) for s in stems]
    phrase.boost = PHRASE_BOOST
    return wq.Or(parts + [phrase])


def _expand_prefix(fieldname: str, prefix: str, searcher, facet_values: dict, vocabulary=None) -> wq.Query:
    if fieldname in schema.FACETS:
        wanted = fold(prefix)
        values = [v for v in facet_values.get(fieldname, []) if fold(v).startswith(wanted)]
        terms = [wq.Term(fieldname, v) for v in values[:MAX_PREFIX_TERMS]]
        return wq.Or(terms) if terms else wq.NullQuery
    if fieldname == "id":
        return wq.Prefix("id", prefix)
    reader = searcher.reader()
    found = _prefix_words(fold(prefix), vocabulary) if vocabulary else []
    stems = sorted({term for w in found for term in analysis.terms(w)})
    terms = [wq.Term(fieldname, stem) for stem in stems if (fieldname, stem) in reader]
    return wq.Or(terms) if terms else wq.NullQuery


def _prefix_words(prefix: str, vocabulary) -> list[str]:
    """Return the index's words that start with a prefix, the most frequent first when it is broad."""
    words, counts = vocabulary()
    lo, hi = bisect_left(words, prefix), bisect_left(words, prefix + "\U0010ffff")
    return [words[lo + int(i)] for i in np.argsort(-counts[lo:hi], kind="stable")[:MAX_PREFIX_TERMS]]


def text_terms(tree: wq.Query) -> set[str]:
    """Return the stemmed title and body terms a query looks for, negated ones aside."""
    if isinstance(tree, wq.Not):
        return set()
    if isinstance(tree, wq.AndNot):
        return text_terms(tree.a)
    if isinstance(tree, wq.Term):
        return {str(tree.text)} if tree.fieldname in TEXT_FIELDS else set()
    if isinstance(tree, wq.Phrase):
        return {str(w) for w in tree.words} if tree.fieldname in TEXT_FIELDS else set()
    return set().union(*(text_terms(child) for child in tree.children())) if not tree.is_leaf() else set()
