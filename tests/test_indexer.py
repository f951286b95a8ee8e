"""The indexer: upsert, delete, atomic commits, the lock."""
from __future__ import annotations

import pytest
from whoosh.query import Term

from search import articles, batch, indexer
from search.articles import Article
from conftest import SEEDS


def seed_articles():
    return [a for a in batch.read([SEEDS]) if isinstance(a, Article)]


def count(index_dir):
    with indexer.open_index(index_dir).searcher() as searcher:
        return searcher.doc_count()


def test_indexing_twice_keeps_five(tmp_path):
    writer = indexer.Indexer(tmp_path)
    first = writer.write(seed_articles())
    second = writer.write(seed_articles())
    assert (first.added, first.replaced) == (5, 0)
    assert (second.added, second.replaced) == (0, 5)
    assert second.version > first.version
    assert count(tmp_path) == 5


def test_delete_one_leaves_four(tmp_path):
    writer = indexer.Indexer(tmp_path)
    docs = seed_articles()
    writer.write(docs)
    result = writer.delete([docs[0].id, "no-such-id"])
    assert result.deleted == 1
    assert count(tmp_path) == 4


def test_replacing_changes_the_stored_article(tmp_path):
    writer = indexer.Indexer(tmp_path)
    writer.write([articles.from_record({"id": "a", "title": "Old title here", "body": "Old body."})])
    writer.write([articles.from_record({"id": "a", "title": "New title here", "body": "New body."})])
    with indexer.open_index(tmp_path).searcher() as searcher:
        assert [f["title"] for f in searcher.all_stored_fields()] == ["New title here"]


def test_same_id_twice_in_one_batch_is_one_document(tmp_path):
    record = {"id": "a", "title": "A title here", "body": "Body."}
    result = indexer.Indexer(tmp_path).write([articles.from_record(record), articles.from_record(record)])
    assert result.added == 1
    assert count(tmp_path) == 1


def test_second_writer_waits_then_fails_clearly(tmp_path):
    first = indexer.Indexer(tmp_path)
    held = first.ix.writer()
    try:
        second = indexer.Indexer(tmp_path, lock_timeout=0.3)
        with pytest.raises(indexer.IndexLocked, match="locked by another writer; waited 0.3 s"):
            second.write(seed_articles())
    finally:
        held.cancel()
    assert indexer.Indexer(tmp_path, lock_timeout=0.3).write(seed_articles()).added == 5


def test_failed_batch_loses_nothing(tmp_path):
    writer = indexer.Indexer(tmp_path)
    writer.write(seed_articles())

    def exploding():
        yield articles.from_record({"id": "new", "title": "A new title", "body": "Body."})
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        writer.write(exploding())
    assert count(tmp_path) == 5
    # The lock was released: the next write goes through.
    assert writer.write([articles.from_record({"id": "new", "title": "A new title", "body": "B."})]).added == 1


def test_facets_are_indexed_whole(tmp_path):
    indexer.Indexer(tmp_path).write(seed_articles())
    with indexer.open_index(tmp_path).searcher() as searcher:
        assert len(searcher.search(Term("person", "Sergey Lavrov"))) == 4
        assert len(searcher.search(Term("country", "North Korea"))) == 2
        assert len(searcher.search(Term("topic", "arms-control"))) == 3


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(indexer.IndexMissing, match="chancery index"):
        indexer.open_index(tmp_path / "nothing")
