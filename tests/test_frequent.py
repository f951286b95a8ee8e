"""Frequent terms' postings saved beside their segment and mapped by readers."""
from __future__ import annotations

import numpy as np
import pytest
from whoosh import index as whoosh_index

from chancery.cli import cli
from chancery.search import array_file, articles, frequent, indexer, segment_files, snapshot
from chancery.search.searcher import SearchRequest, Service

EXTRA = [{"id": f"x{n}", "title": f"Kerry and Lavrov talks, note {n}", "published": "2016-03-25",
          "body": f"John Kerry held talks with Sergey Lavrov in Moscow on Syria, note {n}."} for n in range(3)]
QUERIES = ["Kerry Lavrov", '"foreign minister"', "Syria talks", "Putin OR Pompeo", "title:Moscow",
           "Kerry talks Lavrov Moscow Syria", "minister -Kerry"]


@pytest.fixture
def two_segments(index_dir, monkeypatch):
    """The seeds' index with a second segment; a term in 2 documents of a segment counts as frequent."""
    indexer.Indexer(index_dir).write([articles.from_record(record) for record in EXTRA])
    monkeypatch.setattr(frequent, "FREQUENT_DOCS", 2)
    return index_dir


def leaves(index_dir):
    ix = whoosh_index.open_dir(index_dir, indexname=indexer.INDEX_NAME)
    reader = ix.reader()
    return reader, [leaf for leaf, _ in reader.leaf_readers()]


def is_mapped(array) -> bool:
    """Return whether an array is a view of a file mapped into memory."""
    while array is not None and not isinstance(array, np.memmap):
        array = array.base
    return array is not None


def answers(index_dir) -> list[dict]:
    service = Service(index_dir)
    found = []
    for q in QUERIES:
        response = service.search(SearchRequest(q=q))
        response.pop("took_ms")
        found.append(response)
    return found


def test_a_segments_frequent_terms_are_saved_as_their_postings_and_rare_ones_left_out(two_segments):
    assert indexer.Indexer(two_segments).save_segment_arrays() == 2
    reader, segments = leaves(two_segments)
    checked = 0
    for leaf in segments:
        mapped = frequent.load(leaf)
        assert is_mapped(mapped.ids) and not mapped.ids.flags.writeable
        for fieldname in frequent.FIELDS:
            for text, info in leaf.iter_field(fieldname):
                text = text.decode("utf-8")
                found = mapped.get(fieldname, text)
                if info.doc_frequency() < 2:
                    assert found is None, text
                    continue
                ids, weights = snapshot.read_postings(leaf, fieldname, text)
                assert found[0].dtype == np.int32 and found[1].dtype == np.float32
                assert found[0].tolist() == ids.tolist() and found[1].tolist() == weights.tolist(), text
                checked += 1
        assert mapped.get("body", "a-word-in-no-article") is None
    assert checked > 50
    reader.close()
    assert indexer.Indexer(two_segments).save_segment_arrays() == 0          # saved once


def test_search_answers_alike_from_the_arrays_and_reads_no_frequent_term_from_whoosh(two_segments, monkeypatch):
    before = answers(two_segments)
    indexer.Indexer(two_segments).save_segment_arrays()
    reader, segments = leaves(two_segments)
    frequent_terms = {(f, t.decode()) for leaf in segments for f in frequent.FIELDS
                      for t, info in leaf.iter_field(f) if info.doc_frequency() >= 2}
    reader.close()
    real = snapshot.read_postings

    def read(leaf, fieldname, text):
        if (fieldname, text) in frequent_terms and leaf.doc_frequency(fieldname, text) >= 2:
            pytest.fail(f"read {fieldname}:{text} from Whoosh's blocks")
        return real(leaf, fieldname, text)

    monkeypatch.setattr(snapshot, "read_postings", read)
    assert answers(two_segments) == before


@pytest.mark.parametrize("damage", ["garbage", "short ids", "float ids", "no ids"])
def test_arrays_that_are_not_what_was_saved_are_passed_over(two_segments, damage):
    before = answers(two_segments)
    indexer.Indexer(two_segments).save_segment_arrays()
    path = sorted(two_segments.glob(f"*{frequent.SUFFIX}"))[0]
    arrays = {name: np.array(array) for name, array in array_file.read(path).items()}
    if damage == "garbage":
        path.write_bytes(b"not an array file")
    else:
        if damage == "short ids":
            arrays["ids"] = arrays["ids"][:-1]
        elif damage == "float ids":
            arrays["ids"] = arrays["ids"].astype(np.float32)
        else:
            del arrays["ids"]
        assert segment_files.save_arrays(path, arrays)
    reader, segments = leaves(two_segments)
    assert any(frequent.load(leaf) is frequent.NONE for leaf in segments)
    reader.close()
    assert answers(two_segments) == before


def test_a_small_segment_gets_none_and_a_merged_segments_go_with_it(index_dir, monkeypatch):
    indexer.Indexer(index_dir).write([articles.from_record(EXTRA[0])])      # one document
    monkeypatch.setattr(frequent, "FREQUENT_DOCS", 2)
    indexer.Indexer(index_dir).save_segment_arrays()
    before = sorted(p.name for p in index_dir.glob(f"*{frequent.SUFFIX}"))
    assert len(before) == 1                                                 # the seeds' segment's alone
    indexer.Indexer(index_dir).optimize()                                   # one segment, saved anew
    after = sorted(p.name for p in index_dir.glob(f"*{frequent.SUFFIX}"))
    assert len(after) == 1 and not set(before) & set(after)


def test_saving_removes_the_files_of_the_old_format(two_segments):
    reader, segments = leaves(two_segments)
    old = [segment_files.sidecar_path(segments[0], suffix) for suffix in frequent.OLD_SUFFIXES]
    reader.close()
    for path in old:
        np.save(path, np.zeros(3, np.int32))
    assert indexer.Indexer(two_segments).save_segment_arrays() == 2
    assert not any(path.exists() for path in old)
    assert len(list(two_segments.glob(f"*{frequent.SUFFIX}"))) == 2


def test_optimize_arrays_saves_an_older_index_arrays_without_merging(runner, two_segments):
    reader, segments = leaves(two_segments)
    count = len(segments)
    reader.close()
    result = runner.invoke(cli, ["optimize", "--arrays", "--index-dir", str(two_segments)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "arrays saved for 2 segments"
    reader, segments = leaves(two_segments)
    assert len(segments) == count and all(frequent.load(leaf) is not frequent.NONE for leaf in segments)
    reader.close()
