"""Snapshot arrays: undated articles, empty indexes, deletions and merges."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from chancery.search import array_file, articles, facets, indexer, segment_files, snapshot
from chancery.search.searcher import SearchRequest, Service
from chancery.search.snapshot import NO_DATE, day_ordinal

DATED = {"id": "d1", "title": "A dated note on talks", "body": "Lavrov met Blinken in Geneva.",
         "published": "2020-05-01"}
UNDATED = {"id": "u1", "title": "An undated note on talks", "body": "Lavrov met Blinken in Geneva."}
OLDER = {"id": "d0", "title": "An older note on talks", "body": "Kerry met Lavrov in Moscow.",
         "published": "2016-03-24"}


def write(index_dir, *batches):
    """Write each batch of records in its own commit."""
    writer = indexer.Indexer(index_dir)
    for batch in batches:
        writer.write([articles.from_record(record) for record in batch])


@pytest.mark.parametrize("micros, ordinal", [
    (0, 1),
    (86_400_000_000 * 737_545, 737_546),
    (2 ** 63 - 1, NO_DATE),            # Whoosh's filler for a document without a date
    (-5, NO_DATE),
    (None, NO_DATE),
])
def test_day_ordinal(micros, ordinal):
    assert day_ordinal(micros) == ordinal


@pytest.mark.parametrize("batches", [
    [[DATED, UNDATED, OLDER]],               # one segment holding all
    [[UNDATED], [DATED], [OLDER]],           # an undated segment, then dated ones
    [[DATED], [UNDATED], [OLDER]],
])
def test_undated_articles_do_not_break_reads(tmp_path, batches):
    write(tmp_path, *batches)
    service = Service(tmp_path)
    for sort, order in [("newest", ["d1", "d0", "u1"]), ("oldest", ["d0", "d1", "u1"])]:
        response = service.search(SearchRequest(q="", sort=sort))
        assert [r["id"] for r in response["results"]] == order
    response = service.search(SearchRequest(q="talks"))
    assert response["total"] == 3
    assert {r["id"]: r["published"] for r in response["results"]}["u1"] is None
    assert response["facets"]["published"] == [{"value": "2016-03", "count": 1}, {"value": "2020-05", "count": 1}]
    dated_only = service.search(SearchRequest(q="talks", date_to=date(2030, 1, 1)))
    assert {r["id"] for r in dated_only["results"]} == {"d0", "d1"}
    assert service.article("u1")["published"] is None
    assert service.health()["documents"] == 3


def test_undated_article_survives_merge_and_delete(tmp_path):
    write(tmp_path, [UNDATED], [DATED], [OLDER])
    indexer.open_index(tmp_path).optimize()          # one segment: the undated document among dated ones
    service = Service(tmp_path)
    assert [r["id"] for r in service.search(SearchRequest(q="", sort="newest"))["results"]] == ["d1", "d0", "u1"]
    service.write(delete_ids=["u1"])                 # deleted, but still stored in the segment
    assert [r["id"] for r in Service(tmp_path).search(SearchRequest(q=""))["results"]] == ["d1", "d0"]


def test_empty_index_answers_every_read(tmp_path):
    indexer.open_index(tmp_path, create=True)
    service = Service(tmp_path)
    response = service.search(SearchRequest(q="talks"))
    assert (response["total"], response["results"]) == (0, [])
    assert all(buckets == [] for buckets in response["facets"].values())
    assert service.health() == {"status": "ok", "documents": 0, "index_version": 0}
    assert service.facet_values("person") == []
    assert service.article("d1") is None and service.similar("d1") is None
    service.write([articles.from_record(DATED)])
    assert [r["id"] for r in service.search(SearchRequest(q="talks"))["results"]] == ["d1"]


def test_serving_a_folder_without_index_says_so(tmp_path, caplog):
    Service(tmp_path / "mistyped")
    assert "no index in" in caplog.text


def note(n: int, person: str, country: str, published: str | None = "2016-03-24") -> dict:
    """Return a small article about talks with one person and one country."""
    record = {"id": f"n{n}", "title": f"Talks on trade, note {n}", "body": f"{person} held talks in {country}."}
    return {**record, "published": published} if published else record


FIRST = [note(1, "Sergey Lavrov", "Geneva"), note(2, "John Kerry", "Moscow"), note(3, "Angela Merkel", "Berlin")]
SECOND = [note(4, "Sergey Lavrov", "Tokyo", "2019-05-14"), note(5, "Mike Pompeo", "Sochi", None)]


def view(service: Service) -> dict:
    """Return what a reader sees of a version: ids, facet counts, months and a search's results."""
    snap = service.snapshot()
    live = {doc_id: snap.docnum.get(doc_id) for doc_id in ["n1", "n2", "n3", "n4", "n5", "n6"]}
    facets = {}
    for facet, index in snap.facets.items():
        counts = index.counts(snap.live)
        facets[facet] = [(index.values[i], int(counts[i])) for i in index.ranked(counts)]
    months = {month: int((snap.month_of[snap.live] == i).sum()) for i, month in enumerate(snap.months)}
    response = service.search(SearchRequest(q="talks", sort="newest"))
    return {"ids": {k: snap.doc_id(v) if v is not None else None for k, v in live.items()},
            "facets": facets, "months": months, "results": [r["id"] for r in response["results"]],
            "buckets": response["facets"]}


@pytest.mark.parametrize("change", ["add", "delete", "replace", "optimize", "add-then-delete-all"])
def test_a_version_built_from_the_previous_equals_a_fresh_one(tmp_path, change):
    write(tmp_path, FIRST)
    reused = Service(tmp_path)
    view(reused)                                    # the first version's arrays, then the change
    writer = indexer.Indexer(tmp_path)
    if change == "add":
        writer.write([articles.from_record(r) for r in SECOND])
    elif change == "delete":
        writer.write([], delete_ids=["n2"])
    elif change == "replace":
        writer.write([articles.from_record({**note(1, "Wang Yi", "Beijing"), "id": "n1"})])
    elif change == "optimize":
        writer.write([articles.from_record(r) for r in SECOND])
        writer.write([], delete_ids=["n3"])
        writer.optimize()
    else:
        writer.write([articles.from_record(r) for r in SECOND])
        writer.write([], delete_ids=[r["id"] for r in FIRST + SECOND])
    assert view(reused) == view(Service(tmp_path))


def test_a_new_version_reuses_the_unchanged_segments_arrays(tmp_path):
    write(tmp_path, FIRST)
    service = Service(tmp_path)
    before = service.snapshot()
    write(tmp_path, SECOND)
    after = service.snapshot()
    assert after.version != before.version
    assert len(after.segments) == len(before.segments) + 1
    old, new = before.segments[0][0], after.segments[0][0]
    assert new is old                                          # loaded once, not again
    assert new.global_values["person"] is old.global_values["person"]
    assert after.live.sum() == 5 and before.live.sum() == 3


def test_a_deletion_rereads_only_that_segments_live_mask(tmp_path):
    # One deletion of five stays under the merge policy's deleted share, so no segment is rewritten.
    write(tmp_path, FIRST + SECOND, [note(6, "Wang Yi", "Beijing")])
    service = Service(tmp_path)
    before = service.snapshot()
    indexer.Indexer(tmp_path).write([], delete_ids=["n4"])
    after = service.snapshot()
    assert all(new is old for (new, _, _), (old, _, _) in zip(after.segments, before.segments, strict=True))
    assert after.docnum.get("n4") is None and before.docnum.get("n4") is not None
    assert int(after.live.sum()) == 5 and int(before.live.sum()) == 6


def sidecars(index_dir) -> list[str]:
    return sorted(p.name for p in index_dir.glob(f"*{segment_files.SIDECAR_SUFFIX}"))


def test_a_segments_arrays_are_saved_once_and_loaded_by_the_next_process(tmp_path, monkeypatch):
    write(tmp_path, FIRST, SECOND)
    fresh = view(Service(tmp_path))
    assert len(sidecars(tmp_path)) == 2                         # one per segment
    # The next process reads no segment: every array comes from the sidecars.
    monkeypatch.setattr(segment_files, "read_parts", lambda reader: pytest.fail("read the segment again"))
    assert view(Service(tmp_path)) == fresh


def test_a_first_format_sidecar_is_read_once_and_saved_in_the_new_format(tmp_path, monkeypatch):
    write(tmp_path, FIRST, SECOND)
    fresh = view(Service(tmp_path))
    # The first format, as indexes written before it changed hold: ids as text, facet pairs unsorted.
    for path in tmp_path.glob(f"*{segment_files.SIDECAR_SUFFIX}"):
        segment = path.name[:-len(segment_files.SIDECAR_SUFFIX)]
        saved = array_file.read(path)
        arrays = {name: np.array(array) for name, array in saved.items()
                  if name not in ("id_order", "id_sorted") and not name.endswith(("_by_value", "_ptr"))}
        arrays["ids"] = np.char.decode(np.char.rstrip(arrays["ids"], b"\xff"), "utf-8")
        for facet in ("person", "country"):
            arrays[f"{facet}_docs"], arrays[f"{facet}_locals"] = arrays[f"{facet}_docs"][::-1], \
                arrays[f"{facet}_locals"][::-1]
        np.savez(tmp_path / f"{segment}{segment_files.OLD_SIDECAR_SUFFIX}", **arrays)
        path.unlink()
    monkeypatch.setattr(segment_files, "read_parts", lambda reader: pytest.fail("read the segment again"))
    assert view(Service(tmp_path)) == fresh
    assert len(sidecars(tmp_path)) == 2                         # saved in the new format
    saved = array_file.read(next(tmp_path.glob(f"*{segment_files.SIDECAR_SUFFIX}")))
    assert saved["ids"].dtype.kind == "S" and (np.diff(saved["person_docs"]) >= 0).all()
    assert not saved["ids"].flags.writeable                      # mapped, read-only
    monkeypatch.setattr(segment_files, "arrange", lambda *parts: pytest.fail("arranged the parts again"))
    assert view(Service(tmp_path)) == fresh


def test_a_broken_sidecar_is_read_again_from_the_segment(tmp_path):
    write(tmp_path, FIRST)
    fresh = view(Service(tmp_path))
    (path,) = tmp_path.glob(f"*{segment_files.SIDECAR_SUFFIX}")
    path.write_bytes(b"not an npz file")
    assert view(Service(tmp_path)) == fresh
    assert path.read_bytes().startswith(array_file.MAGIC)       # saved again, whole


def test_a_merged_segments_sidecar_goes_with_it(tmp_path):
    write(tmp_path, FIRST, SECOND)
    view(Service(tmp_path))
    before = sidecars(tmp_path)
    indexer.Indexer(tmp_path).optimize()
    assert not set(before) & set(sidecars(tmp_path))
    view(Service(tmp_path))
    assert len(sidecars(tmp_path)) == 1


def test_a_read_only_index_is_served_without_sidecars(tmp_path):
    import shutil
    import subprocess
    from conftest import skip_or_fail
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True).returncode:
        skip_or_fail("cannot mount a tmpfs (needs root)")
    try:
        write(mount / "ix", FIRST)
        expected = view(Service(mount / "ix"))
        for path in (mount / "ix").glob(f"*{segment_files.SIDECAR_SUFFIX}"):
            path.unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        assert view(Service(mount / "ix")) == expected            # served, nothing saved
        assert sidecars(mount / "ix") == []
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


@pytest.mark.parametrize("sparse_share", [0, 2, 10**9])      # the matches' pairs / either / every pair
@pytest.mark.parametrize("share", [0.0, 0.3, 0.9, 1.0])
def test_a_facet_counts_the_live_documents_of_a_mask_however_it_counts(tmp_path, monkeypatch, share, sparse_share):
    write(tmp_path, FIRST, SECOND, [note(6, "Sergey Lavrov", "Moscow")],
          [note(n, "Sergey Lavrov" if n % 2 else "John Kerry", "Geneva") for n in range(7, 40)])
    indexer.Indexer(tmp_path).delete(["n3", "n8", "n9"])
    snap = Service(tmp_path).snapshot()
    monkeypatch.setattr(facets, "SPARSE_SHARE", sparse_share)
    mask = np.random.default_rng(7).random(snap.size) < share
    assert not snap.live.all()
    for facet, index in snap.facets.items():
        assert (np.diff(index.pair_doc) >= 0).all()             # pairs in document order
        expected = np.zeros(len(index.values), np.int64)
        for doc, value in zip(index.pair_doc.tolist(), index.pair_value.tolist()):
            expected[value] += bool(mask[doc] and snap.live[doc])
        assert index.counts(mask).tolist() == expected.tolist(), facet


ID_CASES = {
    # name: (ids of a segment, id looked up, local docs expected)
    "unique": (["b", "a", "c"], "a", [1]),
    "absent": (["b", "a", "c"], "d", []),
    "repeated": (["b", "a", "b"], "b", [0, 2]),
    "ends in a NUL": (["a", "a\0"], "a\0", [1]),
    "NUL-less twin": (["a", "a\0"], "a", [0]),
    "longer than any": (["a", "b"], "a-much-longer-id", []),
    "prefix of another": (["abc", "ab"], "ab", [1]),
    "non-ASCII": (["Zürich-1", "zurich-1"], "Zürich-1", [0]),
    "empty segment": ([], "a", []),
}


@pytest.mark.parametrize("ids, wanted, expected", ID_CASES.values(), ids=ID_CASES.keys())
def test_id_table(ids, wanted, expected):
    table = segment_files.IdTable(ids)
    assert table.locals(wanted).tolist() == expected
    assert table.tolist() == ids


def test_ids_loaded_from_a_sidecar_are_looked_up_alike(tmp_path):
    write(tmp_path, [DATED, UNDATED, OLDER])
    fresh = Service(tmp_path).snapshot()              # reads the segment, saves its sidecar
    loaded = Service(tmp_path).snapshot()             # loads the sidecar
    for snap in (fresh, loaded):
        assert [snap.doc_id(snap.docnum["u1"])] == ["u1"] and "nope" not in snap.docnum
    assert fresh.segments[0][0].ids.tolist() == loaded.segments[0][0].ids.tolist()


PHRASES = [["kerri", "said"], ["syrian", "crisi"], ["john", "kerri", "said"], ["russia", "russia"], ["said", "kerri"],
           ["absent", "word"], ["foreign", "minist"]]


@pytest.mark.parametrize("whole", [0, 10**9], ids=["wanted-blocks", "cached-whole"])
def test_phrase_documents_are_whooshs_whichever_way_positions_are_read(tmp_path, monkeypatch, whole):
    from corpus import records
    from whoosh import query as wq
    monkeypatch.setattr(snapshot, "POSITIONS_WHOLE", whole)
    batch = [articles.from_record(r) for r in records(900)]
    writer = indexer.Indexer(tmp_path)
    writer.write(batch[:500])
    writer.write(batch[500:])                       # two segments
    service = Service(tmp_path)
    snap = service.snapshot()
    found_some = 0
    for words in PHRASES:
        with indexer.open_index(tmp_path).searcher() as searcher:
            expected = sorted(hit.docnum for hit in searcher.search(wq.Phrase("body", words), limit=None))
        assert sorted(snap.phrase_docs("body", words).tolist()) == expected, words
        found_some += bool(expected)
    assert found_some >= 3


@pytest.mark.parametrize("before, computed", [
    (None, True),                               # none yet: computed, then saved
    ("good", False),                            # saved by an earlier process: loaded
    (b"not an npy file", True),                 # broken: computed again
    ("short", True),                            # of another length than the segment: computed again
])
def test_a_segment_array_is_loaded_when_saved_whole_else_computed_and_saved(tmp_path, before, computed):
    write(tmp_path, FIRST)
    calls = []

    def compute(reader):
        calls.append(1)
        return np.arange(reader.doc_count_all(), dtype=np.uint64) * 3

    with indexer.open_index(tmp_path).reader() as reader:
        (leaf, _), = reader.leaf_readers()
        path = segment_files.sidecar_path(leaf, ".probe.npy")
        if before == "good":
            np.save(path, compute(leaf))
            calls.clear()
        elif before == "short":
            np.save(path, np.zeros(1, np.uint64))
        elif before is not None:
            path.write_bytes(before)
        found = segment_files.segment_array(leaf, "probe", compute)
        assert found.tolist() == [3 * i for i in range(leaf.doc_count_all())]
        assert bool(calls) == computed
        assert np.load(path).tolist() == found.tolist()         # what is on disk is whole


@pytest.mark.parametrize("word", ["talk", "lavrov", "sochi", "absent"])
def test_a_terms_weights_in_some_documents_are_those_of_its_postings(tmp_path, word):
    write(tmp_path, FIRST, SECOND)                  # two segments
    snap = Service(tmp_path).snapshot()
    assert len(snap.segments) == 2
    ids, weights = snap.term("body", word)
    expected = dict(zip(ids.tolist(), weights.tolist()))
    docs = np.arange(snap.size)
    found = snap.term_at("body", word, docs)
    assert found.tolist() == [expected.get(doc, 0.0) for doc in docs.tolist()]
    assert found[::2].tolist() == snap.term_at("body", word, docs[::2]).tolist()
    assert (found > 0).sum() == {"talk": 5, "lavrov": 2, "sochi": 1, "absent": 0}[word]


def test_cached_positions_take_four_bytes_a_number(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "POSITIONS_WHOLE", 10**9)        # every term's positions cached whole
    write(tmp_path, FIRST, SECOND)
    service = Service(tmp_path)
    snap = service.snapshot()
    assert snap.phrase_docs("body", ["held", "talk"]).tolist() == list(range(5))
    cached = [value for key, value in service._terms.items.items() if "positions" in key]
    assert cached and all(part.dtype == np.int32 for rows in cached for part in rows)


@pytest.mark.parametrize("dates, months", [
    (["2020-05-01", "2020-05-31", "2016-03-24"], {"2016-03": 1, "2020-05": 2}),
    (["1969-12-31", "1970-01-01", "1950-06-15"], {"1950-06": 1, "1969-12": 1, "1970-01": 1}),   # before 1970
    (["2000-02-29", "2099-12-31", None], {"2000-02": 1, "2099-12": 1}),                         # one undated
    ([None, None], {}),
])
def test_months_are_numbered_in_order_with_each_documents_month(tmp_path, dates, months):
    write(tmp_path, [{**DATED, "id": f"m{n}", **({"published": day} if day else {"published": None})}
                     for n, day in enumerate(dates)])
    snap = Service(tmp_path).snapshot()
    assert snap.months == sorted(months)
    assert {month: int((snap.month_of == i).sum()) for i, month in enumerate(snap.months)} == months
    assert int((snap.month_of == -1).sum()) == dates.count(None)


@pytest.mark.parametrize("saved", [True, False], ids=["term-arrays", "whoosh"])
def test_several_terms_weights_are_each_terms_own(tmp_path, saved):
    from chancery.search import term_arrays
    write(tmp_path, FIRST, SECOND)
    if saved:
        indexer.Indexer(tmp_path).save_segment_arrays()
    snap = Service(tmp_path).snapshot()
    assert all(data.terms.known is saved for data, _, _ in snap.segments)
    assert term_arrays.FREQUENT_DOCS == 1                # every term's postings in the arrays
    words = ["talk", "absent", "lavrov", "sochi", "talk"]
    for docs in (np.arange(snap.size), np.array([0, snap.size - 1]), np.zeros(0, np.int64)):
        rows = snap.terms_at("body", words, docs)
        assert rows.shape == (len(words), len(docs))
        for row, word in zip(rows, words):
            ids, weights = snap.term("body", word)
            expected = dict(zip(ids.tolist(), weights.tolist()))
            assert row.tolist() == [expected.get(doc, 0.0) for doc in docs.tolist()], word
