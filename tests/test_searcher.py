"""The search service on the seeds: query language, filters, facets, sorting, paging, suggestions."""
from __future__ import annotations

import pytest

from chancery.search import articles
from chancery.search.query import QueryError
from chancery.search.searcher import SearchRequest, Service
from conftest import seed_ids

IDS = seed_ids()
S000, S001, S002, S003, S004 = (IDS[name] for name in sorted(IDS))


def ids(response):
    return [r["id"] for r in response["results"]]


@pytest.mark.parametrize("q, expected", [
    ("Pompeo", {S004}),
    ("Kerry", {S000, S001, S002, S003}),
    ('"bilateral relations"', {S001, S003}),
    ("Syria -Kerry", {S004}),
    ("Kerry AND Pompeo", set()),
    ("Kerry OR Pompeo", {S000, S001, S002, S003, S004}),
    ("NOT Kerry", {S004}),
    ("person:Lavrov", {S000, S001, S002, S003}),
    ('person:"Sergei Lavrov"', {S000, S001, S002, S003}),
    ("country:DPRK", {S001, S004}),
    ("topic:disasters", {S003}),
    ("source:xinhua", {S001}),
    ("title:Putin", {S000, S004}),
    ("sanct*", {S001, S002}),
    ("negotiat*", {S003, S004}),
    ("Ceasefire", {S001, S003}),
    ("Genève", set()),
    ("the of and", set()),
])
def test_query_language(service, q, expected):
    response = service.search(SearchRequest(q=q, per_page=100))
    assert set(ids(response)) == expected
    assert response["total"] == len(expected)


def test_more_matched_words_rank_higher(service):
    response = service.search(SearchRequest(q="Pompeo Venezuela Maduro Kerry"))
    assert ids(response)[0] == S004
    assert response["total"] == 5
    scores = [r["score"] for r in response["results"]]
    assert scores == sorted(scores, reverse=True)


def test_a_pasted_sentence_finds_articles(service):
    q = "what did Lavrov and Kerry agree about the cessation of hostilities in Syria"
    assert len(q.split()) >= 12
    response = service.search(SearchRequest(q=q))
    assert response["total"] == 5
    assert set(ids(response)[:2]) == {S001, S002}


@pytest.mark.parametrize("q, message", [
    ("url:foo", "unknown field 'url'"),
    ("Kerry author:smith", "unknown field 'author'"),
    ("published:2016", "unknown field 'published'"),
])
def test_query_errors(service, q, message):
    with pytest.raises(QueryError, match=message):
        service.search(SearchRequest(q=q))


@pytest.mark.parametrize("filters, ops, expected", [
    ({"country": ["USA"]}, {}, {S000, S001, S002, S003, S004}),
    ({"country": ["North Korea", "Iran"]}, {}, {S004}),
    ({"country": ["DPRK", "Iran"]}, {"country": "or"}, {S001, S004}),
    ({"person": ["Sergei Lavrov"]}, {}, {S000, S001, S002, S003}),
    ({"person": ["Nobody At All"]}, {}, set()),
    ({"topic": ["Disasters and accidents"]}, {}, {S003}),
    ({"source": ["Vestnik Kavkaza", "Xinhua"]}, {"source": "or"}, {S001, S003}),
])
def test_filters(service, filters, ops, expected):
    response = service.search(SearchRequest(filters=filters, ops=ops, per_page=100))
    assert set(ids(response)) == expected


def test_filters_echo_canonical_values(service):
    response = service.search(SearchRequest(filters={"country": ["USA"], "person": ["Sergei Lavrov"]}))
    assert response["query"]["filters"] == {"country": ["United States"], "person": ["Sergey Lavrov"]}


def bucket(response, facet, value):
    return next((b for b in response["facets"][facet] if b["value"] == value), None)


def test_and_facet_counts_follow_the_results(service):
    response = service.search(SearchRequest(filters={"country": ["Iran"]}))
    assert bucket(response, "country", "Russia")["count"] == 1
    assert bucket(response, "country", "Iran") == {"value": "Iran", "count": 1, "selected": True}
    assert bucket(response, "person", "John Kerry") is None


def test_or_facet_counts_ignore_their_own_selection(service):
    response = service.search(SearchRequest(filters={"country": ["Iran"], "topic": ["sanctions"]},
                                            ops={"country": "or"}))
    assert response["total"] == 0
    # Counted under the other filters (topic=sanctions: 001, 002), not under country=Iran.
    assert bucket(response, "country", "Ukraine")["count"] == 2
    assert bucket(response, "country", "Iran")["count"] == 0
    assert bucket(response, "country", "Iran")["selected"] is True
    assert bucket(response, "topic", "sanctions")["count"] == 0


def test_facet_size_and_topic_labels(service):
    response = service.search(SearchRequest(facet_size=2))
    assert [len(response["facets"][f]) for f in ("person", "country", "topic", "source")] == [2, 2, 2, 2]
    labels = {"peace-process": "Peace talks and political settlement",
              "bilateral-relations": "Bilateral relations and diplomatic visits"}
    top = response["facets"]["topic"][0]
    assert top["value"] in labels and top["label"] == labels[top["value"]]


@pytest.mark.parametrize("start, end, expected", [
    ("2016-03-25", None, {S000, S001, S004}),
    (None, "2016-03-24", {S002, S003}),
    ("2016-03-24", "2016-03-24", {S002, S003}),
    ("2019-01-01", "2019-12-31", {S004}),
])
def test_date_filters(service, start, end, expected):
    from datetime import date
    request = SearchRequest(date_from=start and date.fromisoformat(start), date_to=end and date.fromisoformat(end))
    assert set(ids(service.search(request))) == expected


def test_month_histogram(service):
    assert service.search(SearchRequest())["facets"]["published"] == [
        {"value": "2016-03", "count": 4}, {"value": "2019-05", "count": 1}]


@pytest.mark.parametrize("sort, first", [("newest", {S004}), ("oldest", {S002, S003})])
def test_sorting(service, sort, first):
    assert ids(service.search(SearchRequest(sort=sort)))[0] in first


def test_default_sort(service):
    assert service.search(SearchRequest())["query"]["sort"] == "newest"
    assert service.search(SearchRequest(q="Syria"))["query"]["sort"] == "relevance"


def test_paging(service):
    everything = ids(service.search(SearchRequest(per_page=5)))
    pages = [ids(service.search(SearchRequest(page=p, per_page=2))) for p in (1, 2, 3)]
    assert sum(pages, []) == everything
    assert service.search(SearchRequest(page=9, per_page=2))["results"] == []


@pytest.mark.parametrize("request_, parameter", [
    (SearchRequest(per_page=0), "per_page"), (SearchRequest(per_page=101), "per_page"),
    (SearchRequest(page=0), "page"), (SearchRequest(page=1001, per_page=10), "page"),
    (SearchRequest(facet_size=0), "facet_size"), (SearchRequest(sort="best"), "sort"),
    (SearchRequest(ops={"country": "xor"}), "country_op"),
])
def test_bounds(service, request_, parameter):
    with pytest.raises(QueryError) as error:
        service.search(request_)
    assert error.value.parameter == parameter


@pytest.mark.parametrize("q, suggestion", [
    ("Lavrof sanctons", "lavrov sanctions"),
    ("Kery", "kerry"),
    ("Lavrov sanctions", None),
])
def test_suggestion(service, q, suggestion):
    assert service.search(SearchRequest(q=q))["suggestion"] == suggestion


def test_similar(service):
    similar = service.similar(S001, 3)
    assert len(similar) == 3
    assert S001 not in [r["id"] for r in similar]
    assert service.similar("nope") is None


@pytest.mark.parametrize("facet, prefix, expected", [
    ("person", "lav", ["Sergey Lavrov"]),
    ("person", "Sergei", ["Sergey Lavrov"]),
    ("country", "USA", ["United States"]),
    ("country", "pyong", ["North Korea"]),
    ("topic", "disas", ["disasters"]),
    ("source", "xin", ["Xinhua"]),
    ("person", "zzz", []),
])
def test_facet_autocomplete(service, facet, prefix, expected):
    assert [b["value"] for b in service.facet_values(facet, prefix)] == expected


def test_facet_values_over_whole_corpus(service):
    values = service.facet_values("country", "", 3)
    assert [(v["value"], v["count"]) for v in values] == [("Russia", 5), ("Syria", 5), ("United States", 5)]


def test_writes_are_seen_by_the_next_search(service):
    before = service.search(SearchRequest(q="Zanzibar"))["total"]
    record = {"id": "z1", "title": "Zanzibar talks open", "body": "Envoys met in Zanzibar."}
    service.write([articles.from_record(record)])
    assert before == 0
    assert ids(service.search(SearchRequest(q="Zanzibar"))) == ["z1"]
    service.write(delete_ids=["z1"])
    assert service.search(SearchRequest(q="Zanzibar"))["total"] == 0
    assert service.health()["documents"] == 5


def test_term_cache_keeps_within_its_budget():
    import numpy as np
    from chancery.search.snapshot import TermCache
    cache = TermCache(budget_mb=1)
    for number in range(50):
        cache.get(("seg", "postings", "body", str(number)), lambda: (np.zeros(10_000, np.int64), np.zeros(0)))
    assert cache.size <= 2**20
    assert ("seg", "postings", "body", "49") in cache.items
    assert ("seg", "postings", "body", "0") not in cache.items


def test_search_works_with_a_tiny_cache(index_dir):
    tiny, normal = Service(index_dir, cache_mb=0.001), Service(index_dir)
    expected = ids(normal.search(SearchRequest(q='Kerry Lavrov sanctions "bilateral relations"')))
    for _ in range(2):
        assert ids(tiny.search(SearchRequest(q='Kerry Lavrov sanctions "bilateral relations"'))) == expected
