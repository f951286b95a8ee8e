"""Query trees evaluated with arrays (search.evaluator): Whoosh's own matches and BM25F scores."""
from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from corpus import records
from chancery.search import articles, indexer
from chancery.search.evaluator import WEIGHTING, Evaluator
from chancery.search.query import parse
from chancery.search.searcher import SearchRequest, Service

PARITY_QUERIES = [
    "Syria", "Kerry Lavrov", "sanctions Russia Ukraine", "cessation hostilities weapons",
    "Putin Pompeo Venezuela", "constructive talks Geneva", "nuclear deal Iran", "bilateral relations dialogue",
    "Minsk agreement ceasefire", "humanitarian access detainees", "terrorism Afghanistan Taliban",
    '"political transition"', "Kerry -Syria", "Putin AND Kerry",
]


@pytest.fixture(scope="module")
def corpus_service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    writer = indexer.Indexer(folder)
    batch = records(400)
    writer.write([articles.from_record(r) for r in batch[:250]])
    writer.write([articles.from_record(r) for r in batch[250:]])  # two segments
    writer.delete(["doc0003", "doc0300"])
    return Service(folder, params=None)


@pytest.mark.parametrize("q", PARITY_QUERIES)
def test_ranking_matches_whoosh_bm25f(corpus_service, q):
    snap = corpus_service.snapshot()
    tree = parse(q, snap.searcher)
    ours = corpus_service.search(SearchRequest(q=q, per_page=10))
    with corpus_service.ix.searcher(weighting=WEIGHTING) as searcher:
        theirs = searcher.search(tree, limit=10)
        expected = [(hit["id"], round(hit.score, 4)) for hit in theirs]
        assert ours["total"] == len(theirs)
    assert [(r["id"], r["score"]) for r in ours["results"]] == expected
    assert isinstance(tree, wq.Query)


@pytest.mark.parametrize("node", [
    wq.Term("body", "syria"),
    wq.And([wq.Term("body", "kerri"), wq.Term("body", "syria")]),
    wq.Or([wq.Term("body", "kerri"), wq.Term("title", "putin"), wq.Term("body", "sanction")]),
    wq.And([wq.Or([wq.Term("body", "kerri"), wq.Term("body", "lavrov")]), wq.Term("body", "talk")], boost=2.0),
    wq.AndNot(wq.Term("body", "syria"), wq.Term("body", "kerri")),
    wq.Require(wq.Term("body", "talk"), wq.Term("body", "syria")),
    wq.AndMaybe(wq.Term("body", "talk"), wq.Term("body", "syria")),
    wq.Not(wq.Term("body", "syria")),
    wq.Phrase("body", ["foreign", "minist"]),
    wq.Term("person", "Sergei Lavrov"),
    wq.Every(),
    wq.NullQuery,
])
def test_every_kind_of_node_matches_and_scores_as_whoosh(corpus_service, node):
    # Children's arrays are summed and masked in place: a node must still give Whoosh's
    # documents and scores, whichever node it sits under.
    snap = corpus_service.snapshot()
    mask, scores = Evaluator(snap, None)(node)
    with corpus_service.ix.searcher(weighting=WEIGHTING) as searcher:
        hits = searcher.search(node, limit=None)
        expected = {hit.docnum: hit.score for hit in hits}
    assert set(np.flatnonzero(mask).tolist()) == set(expected)
    if not isinstance(node, (wq.Not, wq.Every)):            # Whoosh scores these by a constant
        assert {doc: round(float(scores[doc]), 4) for doc in expected} == \
            {doc: round(score, 4) for doc, score in expected.items()}
    assert not scores[~mask].any()
