"""Event candidates from the evindex column: bands, people and days, across segments, deletions aside."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from chancery.search import event_index, events, indexer
from chancery.search.articles import Article
from chancery.search.event_records import BANDS, NO_DAY_CODE

DAY = 736000


def row(day, bands, names) -> np.ndarray:
    return np.frombuffer(event_index.encode(day, bands, names), event_index.LAYOUT)


def test_a_row_holds_the_day_the_bands_and_the_names_hashes():
    found = row(DAY, list(range(1, BANDS + 1)), {"Sergey Lavrov", "Russia"})[0]
    assert found["day"] == DAY and list(found["bands"]) == list(range(1, BANDS + 1))
    assert sorted(found["names"][:2]) == sorted(event_index.name_hash(n) for n in ("Sergey Lavrov", "Russia"))
    assert (found["names"][2:] == 0).all()
    assert row(None, [0] * BANDS, [])[0]["day"] == NO_DAY_CODE


def test_names_past_the_row_width_are_left_out():
    names = [f"Person {n:02d}" for n in range(event_index.MAX_NAMES + 5)]
    assert (row(DAY, [0] * BANDS, names)[0]["names"] != 0).sum() == event_index.MAX_NAMES


def test_tables_sort_keys_with_their_documents():
    rows = np.concatenate([row(DAY, [7] * BANDS, ["A"]), row(DAY + 1, [5] * BANDS, ["B", "A"])])
    tables = event_index.build(rows)
    assert (np.diff(tables.band_keys.astype(np.int64)) >= 0).all()
    band0 = [int(d) for k, d in zip(tables.band_keys, tables.band_docs) if k >> np.uint64(32) == 0]
    assert sorted(band0) == [0, 1]
    a = event_index.name_hash("A")
    # name keys sort by name, then day: each document under its own day
    assert (np.diff(tables.name_keys) > 0).all()
    under_a = [(int(k) & 0xFFFFFFFF, int(d)) for k, d in zip(tables.name_keys, tables.name_docs)
               if k >> np.uint64(32) == a]
    assert under_a == [(DAY + 1, 0), (DAY + 2, 1)]
    assert list(tables.days) == [DAY, DAY + 1]


def story(doc_id: str, day: str | None, persons: list[str], text: str) -> Article:
    return Article(id=doc_id, title=text[:40], body=text, published=day, persons=persons, countries=["Russia"])


@pytest.fixture(params=["merged", "by segment"])
def tiers(request, monkeypatch):
    """Search segments in the merged table, or one by one: both must find the same."""
    monkeypatch.setattr(event_index, "MERGE_MIN_DOCS", 0 if request.param == "merged" else 10**9)
    monkeypatch.setattr(event_index, "_MERGED", [None])


@pytest.fixture
def two_segments(tmp_path, tiers):
    """Articles in two commits, so two segments: the candidates must come from both."""
    writer = indexer.Indexer(tmp_path)
    writer.write([story("a", "2016-03-24", ["Sergey Lavrov"], "Lavrov spoke about grain corridors at length."),
                  story("b", "2016-03-10", ["Sergey Lavrov"], "A different week: fisheries quotas discussed.")])
    writer.write([story("c", "2016-03-25", ["Sergey Lavrov"], "Lavrov and Kerry discussed Syria in Moscow."),
                  story("d", None, ["Sergey Lavrov"], "An undated note about Lavrov.")])
    return tmp_path


def ids(folder, docnums) -> set[str]:
    with indexer.open_index(folder).reader() as reader:
        return {reader.stored_fields(d)["id"] for d in docnums}


def test_name_candidates_keep_to_the_window_and_count_undated_ones(two_segments):
    day = date(2016, 3, 24).toordinal()                       # article a's day
    with indexer.open_index(two_segments).reader() as reader:
        found = ids(two_segments, event_index.name_candidates(reader, {"Sergey Lavrov"}, day, 50, 200))
        assert found == {"a", "c", "d"}                       # b is two weeks away
        assert ids(two_segments, event_index.name_candidates(reader, {"Sergey Lavrov"}, None, 50, 200)) == {"d"}
        assert event_index.name_candidates(reader, {"Nobody Known"}, day, 50, 200) == []


@pytest.mark.parametrize("offset, found", [(0, True), (-3, True), (3, True), (-4, False), (4, False)])
def test_the_window_of_days_includes_its_edges(tmp_path, tiers, offset, found):
    day = date(2016, 3, 24)
    indexer.Indexer(tmp_path).write([
        story("x", (day + timedelta(days=offset)).isoformat(), ["Sergey Lavrov"], "Lavrov on grain."),
        story("y", day.isoformat(), ["Maria Zakharova"], "Zakharova on grain.")])     # another name, same day
    with indexer.open_index(tmp_path).reader() as reader:
        docs = event_index.name_candidates(reader, {"Sergey Lavrov"}, day.toordinal(), 50, 200)
        assert ids(tmp_path, docs) == ({"x"} if found else set())


def test_band_candidates_find_a_copy_in_another_segment_and_skip_deleted_ones(two_segments):
    copy = story("e", "2016-06-01", ["John Kerry"], "Lavrov and Kerry discussed Syria in Moscow.")
    bands = events.features(copy).bands()
    with indexer.open_index(two_segments).reader() as reader:
        assert ids(two_segments, event_index.band_candidates(reader, bands, 50, 200)) == {"c"}
    indexer.Indexer(two_segments).delete(["c"])
    with indexer.open_index(two_segments).reader() as reader:
        assert event_index.band_candidates(reader, bands, 50, 200) == []


@pytest.mark.parametrize("per_key, limit, total, expected", [
    # the latest `limit` of each key, across segments
    ({1: [np.array([3, 9]), np.array([20, 21])], 2: [np.array([5])]}, 2, 10, [5, 20, 21]),
    # past `total`: found under most keys first ...
    ({1: [np.array([3, 7, 9])], 2: [np.array([3])], 3: [np.array([3, 7])]}, 5, 2, [3, 7]),
    # ... then the latest
    ({1: [np.array([1, 2, 8])], 2: [np.array([4])]}, 5, 2, [4, 8]),
    ({1: [np.array([1, 2, 8])], 2: [np.array([1])]}, 5, 1, [1]),
    ({}, 5, 2, []),
])
def test_candidates_are_the_latest_of_each_key_and_at_most_total(per_key, limit, total, expected):
    groups = [np.full(len(docs), key) for key, parts in per_key.items() for docs in parts]
    docs = [docs for parts in per_key.values() for docs in parts]
    group, doc = (np.concatenate(groups), np.concatenate(docs)) if docs else (np.zeros(0), np.zeros(0))
    assert event_index._latest(group, doc, limit, total) == expected


def test_the_merged_table_is_extended_by_new_segments_as_if_built_whole(two_segments, monkeypatch):
    monkeypatch.setattr(event_index, "MERGE_MIN_DOCS", 0)
    with indexer.open_index(two_segments).reader() as reader:
        first = event_index.merged([leaf for leaf, _ in reader.leaf_readers()])
    indexer.Indexer(two_segments).write([story("f", "2016-03-26", ["Sergey Lavrov"], "Lavrov in Geneva on Syria.")])
    with indexer.open_index(two_segments).reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        grown = event_index.merged(leaves)
        assert grown.ids[:len(first.ids)] == first.ids and len(grown.ids) == len(first.ids) + 1
        event_index._MERGED[0] = None
        whole = event_index.merged(leaves)
        for name in ("band_keys", "band_docs", "name_keys", "name_docs", "days"):
            assert (getattr(grown.tables, name) == getattr(whole.tables, name)).all(), name
        day = date(2016, 3, 25).toordinal()
        assert ids(two_segments, event_index.name_candidates(reader, {"Sergey Lavrov"}, day, 50, 200)) \
            == {"a", "c", "d", "f"}


def test_a_segment_that_left_the_index_makes_the_merged_table_anew(two_segments, monkeypatch):
    monkeypatch.setattr(event_index, "MERGE_MIN_DOCS", 0)
    with indexer.open_index(two_segments).reader() as reader:
        event_index.merged([leaf for leaf, _ in reader.leaf_readers()])
    indexer.Indexer(two_segments).optimize()                  # one new segment replaces both
    with indexer.open_index(two_segments).reader() as reader:
        (leaf, _), = reader.leaf_readers()
        assert event_index.merged([leaf]).ids == [leaf.segment().segment_id()]
        day = date(2016, 3, 24).toordinal()
        assert ids(two_segments, event_index.name_candidates(reader, {"Sergey Lavrov"}, day, 50, 200)) \
            == {"a", "c", "d"}
