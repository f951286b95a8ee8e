"""Explain an article's facets: the spans of its text and the rule behind each value.

Evidence is computed when asked, by running extraction again on the stored title and
body, so the index holds nothing extra and an old index can be explained too. Every
value the article carries is listed; a value the current rules no longer find (an
index built by an older version) is listed with no spans.
"""
from __future__ import annotations

from chancery.search import entities, topics

FACETS = (("persons", "person"), ("countries", "country"))


def _span(item: dict, title: str, body: str) -> dict:
    text = title if item["field"] == "title" else body
    return {"field": item["field"], "start": item["start"], "end": item["end"],
            "text": text[item["start"]:item["end"]], "rule": item["rule"], "score": item["score"]}


def explain(article: dict) -> dict:
    """Return, for each person, country and topic of an article, its spans, rules and scores."""
    title, body = article["title"], article["body"]
    found = entities.extract(title, body)
    tagged = topics.tag(title, body)
    spans: dict[tuple[str, str], list[dict]] = {}
    for item in found.evidence:
        spans.setdefault((item["facet"], item["value"]), []).append(_span(item, title, body))
    result = {key: {value: spans.get((facet, value), []) for value in article[key]} for key, facet in FACETS}
    result["topics"] = {slug: {"label": topics.topic_label(slug) or slug, "score": tagged.scores.get(slug),
                               "threshold": round(tagged.threshold, 3), "spans": spans.get(("topic", slug), [])}
                        for slug in article["topics"]}
    return result
