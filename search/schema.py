"""The Whoosh schema and the mapping between articles and stored documents."""
from __future__ import annotations

from datetime import datetime

from whoosh.analysis import RegexTokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from chancery.search import analysis, events
from chancery.search.articles import Article

FACETS = ("person", "country", "topic", "source")
# Article attribute that holds each facet's values.
FACET_ATTRIBUTES = {"person": "persons", "country": "countries", "topic": "topics", "source": "source"}
TITLE_BOOST = 2.0
# Facet values are kept whole, one per line: names may hold commas and spaces
# ("George Robertson, Baron Robertson of Port Ellen").
VALUE_SEPARATOR = "\n"


def facet_field() -> KEYWORD:
    """Return a field for whole, case-kept facet values."""
    return KEYWORD(stored=True, scorable=False, analyzer=RegexTokenizer(r"[^\n]+"))


def build_schema() -> Schema:
    """Return the schema of the article index."""
    text = analysis.analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        # No spelling=True: the unstemmed words are kept by search.vocabulary instead.
        title=TEXT(analyzer=text, stored=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=text, stored=True),
        person=facet_field(),
        country=facet_field(),
        topic=facet_field(),
        source=facet_field(),
        published=DATETIME(stored=True, sortable=True),
        url=STORED(),
        **events.schema_fields(),
    )


def facet_values(article: Article, facet: str) -> list[str]:
    """Return an article's values for one facet."""
    value = getattr(article, FACET_ATTRIBUTES[facet])
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def to_document(article: Article) -> dict:
    """Return the Whoosh fields of an article."""
    document = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "url": article.url,
    }
    for facet in FACETS:
        values = facet_values(article, facet)
        if values:
            document[facet] = VALUE_SEPARATOR.join(values)
    if article.published:
        document["published"] = datetime.fromisoformat(article.published)
    return document


def split_values(stored: str | None) -> list[str]:
    """Return the values of a stored facet field."""
    return [value for value in (stored or "").split(VALUE_SEPARATOR) if value]


def to_article(fields: dict) -> Article:
    """Return the article of a stored document."""
    published = fields.get("published")
    sources = split_values(fields.get("source"))
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        source=sources[0] if sources else None,
        url=fields.get("url"),
        published=published.date().isoformat() if published else None,
        persons=split_values(fields.get("person")),
        countries=split_values(fields.get("country")),
        topics=split_values(fields.get("topic")),
    )
