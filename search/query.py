"""Parse the query language into a Whoosh query tree, resolved and bounded.

Plain words rank by relevance and need not all match (OR); quoted phrases, AND, OR,
NOT, -word, +word, field:value and prefix* work. Facet fields take any alias
(person:Lavrov is Sergey Lavrov). A prefix needs MIN_PREFIX characters and expands
to at most MAX_PREFIX_TERMS words, so "a*" cannot stall a worker; it is matched on
the unstemmed words and then stemmed, so "negotiat*" finds "negotiations".
"""
from __future__ import annotations

import re
import unicodedata

from whoosh import qparser
from whoosh import query as wq

from search import analysis, entities, schema

TEXT_FIELDS = ("title", "body")
QUERY_FIELDS = TEXT_FIELDS + schema.FACETS + ("id",)
MIN_PREFIX = 3
MAX_PREFIX_TERMS = 64
FIELD_RE = re.compile(r"(?<![\w\"])(\w+):")


class QueryError(ValueError):
    """A query or filter value that cannot be searched; the message says why."""

    def __init__(self, message: str, parameter: str = "q"):
        super().__init__(message)
        self.parameter = parameter


def fold(text: str) -> str:
    """Lowercase and strip accents, for comparing user input with names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parser(whoosh_schema) -> qparser.QueryParser:
    """Return the parser: OR of words over title and body, with +/- and field:value."""
    parsed = qparser.MultifieldParser(list(TEXT_FIELDS), whoosh_schema, group=qparser.OrGroup)
    parsed.add_plugin(qparser.PlusMinusPlugin())
    parsed.remove_plugin_class(qparser.RangePlugin)
    return parsed


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


def parse(text: str, searcher, facet_values: dict[str, list[str]] | None = None) -> wq.Query:
    """Parse query text into a tree ready to evaluate; raise QueryError when it cannot be."""
    if not text.strip():
        return wq.Every()
    for name in FIELD_RE.findall(text):
        if name in searcher.schema.names() and name not in QUERY_FIELDS:
            raise QueryError(f"unknown field {name!r}: use one of {', '.join(QUERY_FIELDS)}")
    try:
        tree = parser(searcher.schema).parse(text)
    except Exception as error:  # the parser's own errors have no common base class
        raise QueryError(f"cannot parse the query: {error}") from None
    return _rewrite(tree, searcher, facet_values or {})


def _rewrite(node: wq.Query, searcher, facet_values: dict) -> wq.Query:
    if isinstance(node, wq.Wildcard) and not isinstance(node, wq.Prefix):
        raise QueryError("only a trailing * is supported (prefix*), not wildcards inside words")
    fieldname = getattr(node, "fieldname", None)
    if fieldname is not None and fieldname not in QUERY_FIELDS:
        raise QueryError(f"unknown field {fieldname!r}: use one of {', '.join(QUERY_FIELDS)}")
    if isinstance(node, wq.Prefix):
        return _expand_prefix(node, searcher, facet_values)
    if fieldname in schema.FACETS and isinstance(node, (wq.Term, wq.Phrase)):
        raw = node.text if isinstance(node, wq.Term) else " ".join(node.words)
        value = resolve_facet_value(fieldname, str(raw), facet_values.get(fieldname))
        return wq.Term(fieldname, value, boost=node.boost)
    if isinstance(node, (wq.FuzzyTerm, wq.Variations)):
        return wq.Term(node.fieldname, node.text, boost=node.boost)
    if node.is_leaf():
        return node
    return node.apply(lambda child: _rewrite(child, searcher, facet_values))


def _expand_prefix(node: wq.Prefix, searcher, facet_values: dict) -> wq.Query:
    prefix = str(node.text)
    if len(prefix) < MIN_PREFIX:
        raise QueryError(f"a prefix needs at least {MIN_PREFIX} characters: {prefix}*")
    if node.fieldname in schema.FACETS:
        wanted = fold(prefix)
        values = [v for v in facet_values.get(node.fieldname, []) if fold(v).startswith(wanted)]
        terms = [wq.Term(node.fieldname, v) for v in values[:MAX_PREFIX_TERMS]]
        return wq.Or(terms, boost=node.boost) if terms else wq.NullQuery
    reader = searcher.reader()
    spelling = searcher.schema[node.fieldname].spelling_fieldname(node.fieldname)
    words = [w.decode("utf-8") if isinstance(w, bytes) else w
             for w in reader.expand_prefix(spelling, fold(prefix))]
    # Keep the most frequent words when the prefix is broad.
    words = sorted(words, key=lambda w: -reader.doc_frequency(spelling, w))[:MAX_PREFIX_TERMS]
    stems = sorted({term for word in words for term in analysis.terms(word)})
    terms = [wq.Term(node.fieldname, stem) for stem in stems if (node.fieldname, stem) in reader]
    return wq.Or(terms, boost=node.boost) if terms else wq.NullQuery


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
