"""The indexer: upsert, delete, atomic commits, the lock."""
from __future__ import annotations

import gc
import json
import os
import time

import pytest
from whoosh.query import Term

from chancery.search import articles, batch, indexer
from chancery.search.articles import Article
from conftest import SEEDS, seed_ids


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


def test_reindexing_keeps_deleted_documents_bounded(tmp_path):
    records = [articles.from_record({"id": f"a{i}", "title": f"Note number {i} on talks",
                                     "body": f"Lavrov met Blinken, round {i}."}) for i in range(40)]
    writer = indexer.Indexer(tmp_path)
    for _ in range(3):
        writer.write(records)
    figures = indexer.stats(tmp_path)
    assert figures["documents"] == 40
    assert figures["stored"] <= 40 * (1 + indexer.MAX_DELETED_SHARE)


@pytest.mark.parametrize("call", [
    lambda w: w.write([]),
    lambda w: w.write(delete_ids=["no-such-id"]),
])
def test_no_op_writes_make_no_new_version(tmp_path, call):
    writer = indexer.Indexer(tmp_path)
    writer.write([articles.from_record({"id": "a", "title": "A note on talks", "body": "Talks went on."})])
    before = indexer.version(indexer.open_index(tmp_path))
    result = call(writer)
    assert result.version == before == indexer.version(indexer.open_index(tmp_path))
    assert (result.added, result.replaced, result.deleted) == (0, 0, 0)


def test_writer_start_removes_dead_writers_scratch_folders(tmp_path):
    writer = indexer.Indexer(tmp_path)
    writer.write([articles.from_record({"id": "a", "title": "A note on talks", "body": "Talks went on."})])
    dead = tmp_path / "deadwriter.tmp"
    (dead / "pool").mkdir(parents=True)
    os.utime(dead, (time.time() - 3600, time.time() - 3600))
    writer.write([articles.from_record({"id": "b", "title": "Another note on talks", "body": "More talks."})])
    assert not dead.exists()
    assert indexer.stats(tmp_path)["documents"] == 2


def test_optimize_expunges_deleted_documents(runner, tmp_path):
    from chancery.cli import cli
    assert runner.invoke(cli, ["index", "--index-dir", str(tmp_path), str(SEEDS)]).exit_code == 0
    ix = indexer.open_index(tmp_path)
    with ix.writer() as w:       # one deletion in a big segment stays below the merge policy's share
        w.delete_by_term("id", sorted(seed_ids().values())[0])
    assert indexer.stats(tmp_path)["stored"] == 5
    result = runner.invoke(cli, ["optimize", "--index-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "before: 4 documents, 5 stored" in result.output
    assert "after: 4 documents, 4 stored, 1 segments" in result.output
    assert indexer.stats(tmp_path) | {"bytes": 0} == {"documents": 4, "stored": 4, "segments": 1, "bytes": 0}


@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MB file system (tmpfs), so a write can meet a full disk."""
    import subprocess
    from conftest import skip_or_fail
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        skip_or_fail("cannot mount a small tmpfs (needs root)")
    yield mount
    gc.collect()    # a failed writer's file objects go here, under the test's own warning filter
    subprocess.run(["umount", "-l", str(mount)], check=False)


def big_batch(count: int, words: int = 3000) -> list:
    return [articles.from_record({"id": f"big{i}", "title": f"Long report number {i}",
                                  "body": " ".join(f"w{i}x{j}" for j in range(words))}) for i in range(count)]


# Whoosh's writer that met the full disk leaves some file objects for the garbage
# collector to close; they are reported as unraisable warnings, not failures.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_full_disk_is_a_clear_error_that_loses_nothing(small_disk, runner):
    from chancery.cli import cli
    index_dir = small_disk / "ix"
    writer = indexer.Indexer(index_dir)
    writer.write(seed_articles())
    used_before = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    with pytest.raises(indexer.DiskFull, match="no space left") as failed:
        writer.write(big_batch(60))
    del failed      # its traceback holds the failed Whoosh writer
    assert count(index_dir) == 5
    used_after = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    assert used_after <= used_before * 1.1          # the failed commit's files are gone
    path = small_disk.parent / "big.jsonl"
    path.write_text("".join(json.dumps({"id": a.id, "title": a.title, "body": a.body}) + "\n"
                            for a in big_batch(60)), encoding="utf-8")
    result = runner.invoke(cli, ["index", "--index-dir", str(index_dir), str(path)])
    assert result.exit_code == 1 and "no space left on the index's disk" in result.output
    assert "Traceback" not in result.output
    writer.write(big_batch(2, words=200))           # a write that fits still works
    assert count(index_dir) == 7


def test_read_only_index_is_a_clear_error(small_disk, tmp_path):
    import subprocess
    index_dir = small_disk / "ix"
    indexer.Indexer(index_dir).write(seed_articles())
    view = tmp_path / "ro"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(index_dir), str(view)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True)
        from chancery.api import create_app
        from conftest import TOKEN
        client = create_app({"index_dir": str(view), "api_token": TOKEN}).test_client()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        response = client.post("/api/articles", json={"id": "n", "title": "A new note", "body": "Talks."},
                               headers=auth)
        assert response.status_code == 503
        error = response.get_json()["error"]
        assert error["code"] == "index_read_only" and str(view) not in error["message"]
        assert client.get("/api/health").get_json()["documents"] == 5
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


@pytest.mark.parametrize("sizes, chosen", [
    ([(50_000, 0), (50_000, 0)], []),                              # large segments are never merged
    ([(50_000, 0)] + [(100, 0)] * 3, []),                          # three small ones wait for a fourth
    ([(50_000, 0)] + [(100, 0)] * 4, [1, 2, 3, 4]),
    ([(100, 0)] * 8, [0, 1, 2, 3, 4, 5]),                          # at most MERGE_BUDGET_DOCS at once
    ([(400, 200), (300, 0), (100, 0)], [0]),                       # a segment a half deleted is rewritten
    ([(50_000, 30_000), (100, 0)], []),                            # but not beyond the budget
])
def test_merge_plan(sizes, chosen):
    assert indexer.merge_plan(sizes) == chosen


def test_only_new_skips_the_ids_already_indexed(tmp_path):
    writer = indexer.Indexer(tmp_path)
    docs = seed_articles()
    writer.write(docs[:3])
    result = writer.write(docs, only_new=True)
    assert (result.added, result.replaced, result.skipped) == (2, 0, 3)
    assert indexer.indexed_ids(tmp_path) == {doc.id for doc in docs}
    writer.delete([docs[0].id])
    assert docs[0].id not in indexer.indexed_ids(tmp_path)


def test_index_only_new_resumes_an_import(tmp_path, runner):
    from chancery.cli import cli
    lines = [json.dumps({"id": f"n{i}", "title": f"Talks {i}", "body": f"Envoys met for round {i}."}) for i in range(6)]
    first, whole = tmp_path / "first.jsonl", tmp_path / "whole.jsonl"
    first.write_text("\n".join(lines[:4]) + "\n")
    whole.write_text("\n".join(lines) + "\n")
    index_dir = tmp_path / "ix"
    assert runner.invoke(cli, ["index", "--index-dir", str(index_dir), str(first)]).exit_code == 0
    result = runner.invoke(cli, ["index", "--index-dir", str(index_dir), "--only-new", str(whole)])
    assert result.exit_code == 0, result.output
    assert "indexed 2, replaced 0, skipped 4 already indexed" in result.output
    assert count(index_dir) == 6


def test_postings_are_written_in_blocks_of_the_set_size(tmp_path, monkeypatch):
    monkeypatch.setattr(indexer, "BLOCK_POSTINGS", 2)
    indexer.Indexer(tmp_path).write(seed_articles())
    with indexer.open_index(tmp_path).reader() as reader:
        matcher = reader.postings("body", "said")
        sizes = []
        while matcher.is_active():
            sizes.append(matcher._blocklength)
            matcher._next_block()
    assert sizes == [2, 2, 1]           # "said" is in each of the five seeds
