"""The posting pool by term: Whoosh's postings in Whoosh's order, in memory or through runs on disk."""
from __future__ import annotations

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import posting_pool, segment_writer

from chancery.search import indexer, term_pool
from chancery.search.term_pool import TermPool
from test_parallel_writer import generated

POSTINGS = [
    # one field, documents in order
    [("body", b"grain", 0, 1.0, b"\x01"), ("body", b"border", 0, 2.0, b"\x02"), ("body", b"grain", 1, 1.0, b"\x03")],
    # fields and terms out of order, values None (a facet) and empty
    [("title", b"z", 0, 1.0, None), ("body", b"a", 0, 1.0, b""), ("body", b"a", 2, 3.5, b"\x05"),
     ("id", b"x1", 1, 1.0, None), ("body", b"b", 1, 1.0, b"\x07")],
    # a term's documents out of order (a merge's postings)
    [("body", b"a", 5, 1.0, b"\x01"), ("body", b"a", 2, 1.0, b"\x02"), ("body", b"a", 9, 1.0, b"\x03"),
     ("body", b"b", 3, 1.0, b"\x04")],
    [],
]


@pytest.mark.parametrize("postings", POSTINGS)
@pytest.mark.parametrize("limit_bytes", [None, 1])          # 1: every posting spills a run to disk
def test_the_pool_gives_back_the_postings_sorted(tmp_path, postings, limit_bytes):
    pool = TermPool(FileStorage(str(tmp_path)), None)
    if limit_bytes is not None:
        pool.limit = limit_bytes
    for posting in postings:
        pool.add(posting)
    assert list(pool.items()) == sorted(postings, key=lambda p: p[:3])
    assert pool.fieldnames == {p[0] for p in postings}
    assert not pool.ids and not pool.values                  # given back: nothing held
    assert bool(pool.runs) is False


def test_the_pool_spills_past_its_limit_and_keeps_the_limit(tmp_path):
    pool = TermPool(FileStorage(str(tmp_path)), None, limitmb=1)
    postings = [("body", f"t{n % 5000:05d}".encode(), n // 5000, 1.0, b"\x01" * 8) for n in range(60_000)]
    for posting in postings:
        pool.add(posting)
        assert pool.currentsize <= pool.limit
    assert len(pool.runs) >= 2
    assert list(pool.items()) == sorted(postings, key=lambda p: p[:3])


def postings_of(folder) -> list[tuple]:
    with indexer.open_index(folder).reader() as reader:
        return [(fieldname, text, docnum, weight, value)
                for leaf, base in reader.leaf_readers()
                for fieldname, text, docnum, weight, value in leaf.iter_postings()]


@pytest.mark.parametrize("limitmb", [indexer.WRITER_MEMORY_MB, 0.05])    # in memory, and spilling runs
def test_an_index_written_through_the_pool_is_the_one_whoosh_writes(tmp_path, monkeypatch, limitmb):
    items = generated(120)
    monkeypatch.setattr(indexer, "WRITER_MEMORY_MB", limitmb)
    runs = []
    monkeypatch.setattr(TermPool, "_add_run", lambda pool, path: (runs.append(path), pool.runs.append(path)))
    ours, whoosh = tmp_path / "ours", tmp_path / "whoosh"
    for folder, pool in ((ours, TermPool), (whoosh, posting_pool.PostingPool)):
        monkeypatch.setattr(segment_writer, "PostingPool", pool)
        writer = indexer.Indexer(folder)
        writer.write(items[:60])
        writer.write(items[60:])
        writer.optimize()                       # a merge: another segment's postings through the pool
    monkeypatch.setattr(segment_writer, "PostingPool", TermPool)
    assert postings_of(ours) == postings_of(whoosh)
    assert len(postings_of(ours)) > 4000
    assert bool(runs) is (limitmb < 1)


def test_the_fixes_install_the_pool():
    assert segment_writer.PostingPool is term_pool.TermPool
