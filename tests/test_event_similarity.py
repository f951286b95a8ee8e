"""Linking's text similarity: many cosines at once equal the pair-at-a-time formula."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from chancery.search import analysis, event_similarity, indexer
from chancery.search.articles import Article
from chancery.search.event_similarity import IDF_PRIOR, TermTable

COMMITTED = {"kerry": 40, "lavrov": 30, "syria": 200, "talks": 900, "moscow": 120}
TOTAL = 1000


def committed(terms):
    return [COMMITTED.get(term, 0) for term in terms]


def record(*terms):
    return SimpleNamespace(terms=tuple(terms))


def reference(a, b, batch) -> float:
    """The cosine of two term lists, one pair and one term at a time."""
    def weight(term):
        return math.log((TOTAL + IDF_PRIOR) / (COMMITTED.get(term, 0) + batch.get(term, 0) + 1)) ** 2
    shared = set(a) & set(b)
    norm = math.sqrt(sum(map(weight, a)) * sum(map(weight, b)))
    return sum(map(weight, shared)) / norm if shared and norm else 0.0


CASES = {
    # name: (own terms, candidates' terms, this batch's counts before)
    "identical": (["kerry", "lavrov"], [["kerry", "lavrov"]], {}),
    "partial": (["kerry", "lavrov", "syria"], [["kerry", "talks"], ["syria", "moscow", "lavrov"]], {}),
    "nothing shared": (["kerry"], [["lavrov", "moscow"]], {}),
    "an empty candidate": (["kerry"], [[], ["kerry"]], {}),
    "unknown words": (["kerry", "zaporizhzhia"], [["zaporizhzhia"], ["kerry", "enerhodar"]], {}),
    "batch counts weigh in": (["kerry", "syria"], [["kerry"], ["syria"]], {"kerry": 500}),
}


@pytest.mark.parametrize("own, others, batch", CASES.values(), ids=CASES.keys())
def test_cosines_equal_the_pairwise_formula(own, others, batch):
    table = TermTable()
    for term, count in batch.items():
        for _ in range(count):
            table.count(record(term))
    found = event_similarity.cosines(table.of(record(*own)), [table.of(record(*o)) for o in others],
                                     lambda ids: table.weights(ids, TOTAL, committed))
    assert found.tolist() == pytest.approx([reference(own, o, batch) for o in others], abs=1e-12)


def test_no_candidates_and_no_terms():
    table = TermTable()
    weigh = lambda ids: table.weights(ids, TOTAL, lambda terms: [0] * len(terms))  # noqa: E731
    assert event_similarity.cosines(table.of(record("kerry")), [], weigh).tolist() == []
    assert event_similarity.cosines(table.of(record()), [table.of(record("kerry"))], weigh).tolist() == [0.0]


def test_committed_frequencies_are_read_once_until_forgotten():
    table, reads = TermTable(), []
    ids = table.of(record("kerry", "lavrov"))

    def read(terms):
        reads.extend(terms)
        return committed(terms)
    table.weights(ids, TOTAL, read)
    table.weights(ids, TOTAL, read)
    assert reads == ["kerry", "lavrov"]
    table.forget_committed()
    table.weights(ids, TOTAL, read)
    assert reads == ["kerry", "lavrov"] * 2


@pytest.mark.parametrize("named_first", [True, False])
def test_the_table_grows_past_its_first_arrays(named_first):
    table = TermTable()
    words = record(*[f"w{i}" for i in range(3000)])
    if named_first:
        table.of(words)
    table.count(words)                      # counting may be what names the new terms
    assert table.of(words).tolist() == list(range(3000)) and table.batch[:3000].tolist() == [1] * 3000


def test_term_ids_are_kept_per_table():
    first, second = TermTable(), TermTable()
    shared = record("syria", "kerry")
    first.of(record("moscow"))
    assert first.of(shared).tolist() == [1, 2]
    assert second.of(shared).tolist() == [0, 1]          # not the first table's ids
    assert first.of(shared).tolist() == [1, 2]


def test_committed_frequencies_equal_whooshs_across_segments_and_are_saved_beside_them(tmp_path):
    writer = indexer.Indexer(tmp_path)
    writer.write([Article(id="a", title="Kerry in Moscow", body="Kerry met Lavrov in Moscow about Syria.")])
    writer.write([Article(id="b", title="Lavrov", body="Lavrov spoke on Syria and grain."),
                  Article(id="c", title="Grain", body="Grain prices rose.")])
    terms = [analysis.terms(word)[0] for word in ["kerry", "lavrov", "syria", "grain", "moscow"]] + ["zzzunknown"]
    with indexer.open_index(tmp_path).reader() as reader:
        assert len(reader.leaf_readers()) == 2
        expected = [reader.doc_frequency("body", term) for term in terms]
        assert event_similarity.doc_frequencies(reader, terms).tolist() == expected
        assert expected[:4] == [1, 2, 2, 2] and expected[-1] == 0
    assert len(list(tmp_path.glob("*.df-body.npy"))) == 2
    event_similarity.FREQUENCIES.items.clear()           # a new process: the saved tables are read
    with indexer.open_index(tmp_path).reader() as reader:
        assert event_similarity.doc_frequencies(reader, terms).tolist() == expected
