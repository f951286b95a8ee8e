"""Ranking: BM25F over title and body, proximity, feedback and entities on a small index of our own."""
from __future__ import annotations

import math

import pytest

from chancery.search import analysis, articles, indexer, ranking
from chancery.search.query import parse
from chancery.search.searcher import SearchRequest, Service

FILL = "officials spoke with reporters about the week ahead and the weather in the city"
RECORDS = [
    # Same length bodies: only where the words stand differs.
    # "far" comes first, so a tie would rank it first.
    ("far", "Report two", f"the ceasefire held overnight {FILL} and nothing more happened in Aleppo"),
    ("near", "Report one", f"the ceasefire in Aleppo held overnight {FILL} and nothing more happened"),
    ("title", "Aleppo ceasefire", f"the truce held overnight {FILL} and nothing more happened"),
    ("other", "Harvest report", f"farmers brought in the wheat harvest early {FILL}"),
    ("convoy", "Convoys reach towns", f"aid convoys reached besieged towns after the ceasefire {FILL}"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    target = tmp_path_factory.mktemp("ranking")
    indexer.Indexer(target).write([articles.from_record({"id": i, "title": t, "body": b}) for i, t, b in RECORDS])
    return target


def ranked(folder, q, params):
    return [r["id"] for r in Service(folder, params=params).search(SearchRequest(q=q, per_page=100))["results"]]


@pytest.mark.parametrize("q, plain", [
    ("ceasefire Aleppo", True),
    ("anti-Russia sanctions", True),
    ("ceasefire -Aleppo", False),
    ('"ceasefire in Aleppo"', False),
    ("ceasefire AND Aleppo", False),
    ("person:Lavrov", False),
    ("cease*", False),
])
def test_only_plain_word_queries_are_reranked(folder, q, plain):
    tree = parse(q, Service(folder).snapshot().searcher)
    assert bool(ranking.plain_words(tree)) == plain


def test_bm25f_scores_a_word_once_over_both_fields(folder):
    snap = Service(folder).snapshot()
    params = ranking.PLAIN
    mask, scores, idf = ranking.bm25f(snap, "aleppo", params)
    n, df = 5, 3
    assert idf == pytest.approx(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    stats = ranking._stats(snap)
    doc = snap.docnum["title"]
    # One occurrence in the title, weighted and length-normalised, then saturated once.
    tf = params.w_title / ((1 - params.b_title) + params.b_title * snap.lengths["title"][doc] / stats["title"])
    assert scores[doc] == pytest.approx(idf * tf * (params.k1 + 1) / (tf + params.k1))
    assert mask.sum() == df


QUESTION = "was the Aleppo ceasefire holding overnight"


def test_words_near_each_other_rank_higher(folder):
    with_proximity = ranked(folder, QUESTION, ranking.with_params(feedback=0.0, proximity=1.0))
    assert with_proximity.index("near") < with_proximity.index("far")
    assert ranked(folder, QUESTION, ranking.PLAIN).index("far") < ranked(folder, QUESTION, ranking.PLAIN).index("near")
    scores = {r["id"]: r["score"] for r in Service(folder, params=ranking.PLAIN).search(
        SearchRequest(q=QUESTION))["results"]}
    assert scores["near"] == pytest.approx(scores["far"])


def test_keyword_queries_get_no_feedback_or_proximity(folder):
    strong = ranking.with_params(feedback=0.9, proximity=5.0)
    for q in ("ceasefire Aleppo", "Aleppo ceasefire overnight"):
        assert ranked(folder, q, strong) == ranked(folder, q, ranking.PLAIN)


def test_feedback_reorders_but_adds_no_match(folder):
    q = "ceasefire reached towns convoys"
    plain = ranked(folder, q, ranking.PLAIN)
    fed = ranked(folder, q, ranking.with_params(feedback=0.9, entity=0.0))
    assert set(plain) == set(fed) == {"near", "far", "title", "convoy"}


def test_feedback_lifts_documents_like_the_best_ones(tmp_path):
    records = [
        {"id": "best", "title": "Convoys reach towns", "body": "Convoys reached the towns after the ceasefire; "
         "a humanitarian corridor opened for civilians and medical teams."},
        {"id": "other", "title": "Wheat season", "body": "A ceasefire let farmers harvest wheat early this season, "
         "growers and traders said."},
        {"id": "alike", "title": "Corridor opens", "body": "A ceasefire let a humanitarian corridor open for "
         "civilians and medical teams, aid workers said."},
    ]
    indexer.Indexer(tmp_path).write([articles.from_record(r) for r in records])
    q = "ceasefire convoys reached towns"
    assert ranked(tmp_path, q, ranking.PLAIN)[1] == "other"      # a tie, broken by document order
    assert ranked(tmp_path, q, ranking.with_params(feedback=0.5, proximity=0.0))[1] == "alike"


def test_a_country_named_in_the_query_adds_its_articles(tmp_path):
    records = [{"id": "a", "title": "Talks in Damascus", "body": "Officials in Damascus met envoys."},
               {"id": "b", "title": "Harvest news", "body": "Farmers brought in the wheat."}]
    indexer.Indexer(tmp_path).write([articles.from_record(r) for r in records])
    assert ranked(tmp_path, "Syria envoys", ranking.PLAIN) == ["a"]
    assert ranked(tmp_path, "Syria", ranking.PLAIN) == []
    assert ranked(tmp_path, "Syria", ranking.DEFAULT) == ["a"]
    # In capitals, a short word is not read as a country code.
    assert ranked(tmp_path, "WHEAT IN FIELDS", ranking.DEFAULT) == ["b"]


def test_positions_of_a_stored_body_are_the_indexs(tmp_path, monkeypatch):
    # Proximity analyses its top documents' bodies again: their positions must be the
    # index's, up to a constant (stop words before the first kept word), the cap included.
    from corpus import records
    monkeypatch.setattr(analysis, "MAX_POSITIONS", 2)
    batch = records(300)
    batch[0]["body"] = "The talks, talks and talks on Syria: Lavrov talks with Syria's envoy about talks."
    indexer.Indexer(tmp_path).write([articles.from_record(r) for r in batch])
    snap = Service(tmp_path).snapshot()
    stems = {"lavrov", "syria", "talk", "envoy"}
    index: dict[int, list[tuple[int, str]]] = {}
    for data, offset, leaf in snap.segments:
        for stem in stems:
            for d, p in zip(*data.positions(leaf, "body", stem)):
                index.setdefault(int(d) + offset, []).append((int(p), stem))
    assert len(index) > 100
    for doc, expected in index.items():
        found = analysis.positions(snap.searcher.stored_fields(doc)["body"], stems)
        shift = sorted(expected)[0][0] - found[0][0]
        assert [(p + shift, s) for p, s in found] == sorted(expected), doc
