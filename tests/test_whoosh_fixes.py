"""The whoosh-ng positions bug: a last position gap of 46 must not break phrases."""
from __future__ import annotations

from whoosh import formats

from search import articles, indexer
from search.searcher import SearchRequest, Service


def test_positions_ending_in_a_dot_byte_decode():
    value = formats.Positions().encode([3, 49])     # gaps 3 and 46: the last byte is b"."
    assert value.endswith(b".")
    assert formats.Positions().decode_positions(value) == [3, 49]


def test_phrase_query_over_such_a_term(tmp_path):
    filler = " ".join(f"w{i}" for i in range(45))
    body = f"start talks {filler} talks political transition"
    indexer.Indexer(tmp_path).write([articles.from_record({"id": "a", "title": "Headline words here",
                                                           "body": body})])
    response = Service(tmp_path).search(SearchRequest(q='"political transition"'))
    assert [r["id"] for r in response["results"]] == ["a"]
