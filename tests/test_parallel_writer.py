"""Large batches written by several processes: the same index as one writer, and no silent loss."""
from __future__ import annotations

import os

import pytest

from chancery.search import articles, batch, indexer, parallel_writer
from chancery.search.articles import Article
from conftest import SEEDS, export


def generated(count: int, prefix: str = "g") -> list[Article]:
    """Return small articles of our own, about a few people and places, some of them copies."""
    people = ["Sergey Lavrov", "John Kerry", "Angela Merkel", "Xi Jinping"]
    places = ["Moscow", "Geneva", "Berlin", "Beijing"]
    found = []
    for n in range(count):
        who, where = people[n % 4], places[(n // 4) % 4]
        body = (f"{who} held talks in {where} on day {n % 9} about grain exports and the border. "
                f"Officials said report {n // 2} covered trade, fuel prices and shipping routes.")
        found.append(articles.from_record({"id": f"{prefix}{n:04d}", "title": f"{who} in {where}, report {n // 2}",
                                           "body": body, "published": f"2016-03-{1 + n % 9:02d}"}))
    return found


def index_with(folder, writers: int, items) -> indexer.WriteResult:
    return indexer.Indexer(folder, writers=writers).write(items)


@pytest.fixture(scope="module")
def seed_articles():
    return [a for a in batch.read([SEEDS]) if isinstance(a, Article)]


def test_two_writer_processes_make_the_index_one_writer_makes(tmp_path, monkeypatch, seed_articles):
    monkeypatch.setattr(indexer, "PARALLEL_MIN_ARTICLES", 10)
    monkeypatch.setattr(parallel_writer, "JOB_DOCUMENTS", 10)
    items = seed_articles + generated(40)
    one, two = tmp_path / "one", tmp_path / "two"
    index_with(one, 1, [*items])
    result = index_with(two, 2, [*items])
    assert result.added == len(items)
    assert indexer.stats(two)["segments"] == 2 and indexer.stats(one)["segments"] == 1
    assert export(one) == export(two)


def test_a_small_batch_is_written_by_the_main_process(tmp_path, seed_articles):
    index_with(tmp_path, 2, seed_articles)
    assert indexer.stats(tmp_path)["segments"] == 1


class Exit:
    """A stored value that ends the writer process reading it from its job file (os._exit when unpickled)."""

    def __reduce__(self):
        return (os._exit, (3,))


class Stall:
    """A stored value that stalls the writer process reading it."""

    def __reduce__(self):
        import time
        return (time.sleep, (600,))


def with_value(value):
    """Return schema.to_document giving every document a stored url that is value."""
    from chancery.search import schema
    plain = schema.to_document
    return lambda article: {**plain(article), "url": value}


def test_a_writer_process_that_dies_fails_the_commit_and_leaves_nothing(tmp_path, monkeypatch, seed_articles):
    from chancery.search import schema
    monkeypatch.setattr(indexer, "PARALLEL_MIN_ARTICLES", 10)
    index_with(tmp_path, 1, seed_articles)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setattr(schema, "to_document", with_value(Exit()))
    with pytest.raises(parallel_writer.WriterProcessFailed, match="nothing was committed"):
        index_with(tmp_path, 2, generated(30))
    monkeypatch.undo()
    assert indexer.stats(tmp_path)["documents"] == 5
    after = sorted(p.name for p in tmp_path.iterdir())
    # Linking may have saved the committed segment's term frequencies beside it; nothing else is new.
    saved = [name for name in after if name.endswith(".df-body.npy")]
    assert [name for name in after if name not in saved] == files_before
    assert all(name.replace(".df-body.npy", ".seg") in files_before for name in saved)
    # The lock is free again: the next write goes through.
    assert index_with(tmp_path, 1, generated(3, "after")).added == 3


def test_writer_processes_that_die_early_fail_the_write_instead_of_hanging_it(tmp_path, monkeypatch):
    from chancery.search import schema
    monkeypatch.setattr(indexer, "PARALLEL_MIN_ARTICLES", 10)
    monkeypatch.setattr(parallel_writer, "JOB_DOCUMENTS", 1)
    monkeypatch.setattr(schema, "to_document", with_value(Exit()))
    # A job a document: far more jobs than the queue holds, so handing them out needs live writers.
    with pytest.raises(parallel_writer.WriterProcessFailed, match="nothing was committed"):
        index_with(tmp_path, 2, generated(60))
    monkeypatch.undo()
    assert indexer.stats(tmp_path)["documents"] == 0
    assert index_with(tmp_path, 1, generated(3, "after")).added == 3


def test_a_bulk_import_saves_its_segments_arrays_for_the_first_reader(tmp_path, monkeypatch, seed_articles):
    from chancery.search import event_store, segment_files
    from chancery.search.searcher import SearchRequest, Service
    monkeypatch.setattr(indexer, "PARALLEL_MIN_ARTICLES", 10)
    monkeypatch.setattr(parallel_writer, "JOB_DOCUMENTS", 10)
    index_with(tmp_path, 2, seed_articles + generated(30))
    assert len(list(tmp_path.glob(f"*{segment_files.SIDECAR_SUFFIX}"))) == 2
    for name in event_store.GROUPS:
        assert len(list(tmp_path.glob(f"*.group-{name}.npy"))) == 2
    monkeypatch.setattr(segment_files, "read_parts", lambda reader: pytest.fail("read a segment"))
    monkeypatch.setattr(event_store, "_read_hashes", lambda name: lambda leaf: pytest.fail("read the group ids"))
    event_store._SEGMENTS.clear()                   # as in a new process
    service = Service(tmp_path)
    assert service.search(SearchRequest(q="grain"))["total"] == 30
    assert service.search(SearchRequest(q="grain", collapse="event"))["total"] >= 1


def test_the_cli_says_a_writer_process_failed_and_nothing_was_committed(tmp_path, monkeypatch, runner):
    import json
    from chancery.cli import cli
    from chancery.search import schema
    monkeypatch.setattr(indexer, "PARALLEL_MIN_ARTICLES", 10)
    monkeypatch.setattr(parallel_writer, "JOB_DOCUMENTS", 10)
    monkeypatch.setattr(schema, "to_document", with_value(Exit()))
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{n}", "title": "Talks", "body": f"Round {n} of talks."}) + "\n"
                            for n in range(30)))
    result = runner.invoke(cli, ["index", "--index-dir", str(tmp_path / "ix"), "--jobs", "1", "--writers", "2",
                                 str(path)])
    assert result.exit_code == 1 and "a writer process failed" in result.output
    assert "Traceback" not in result.output


def test_writer_processes_die_with_the_import_that_started_them(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    import psutil
    script = "\n".join([
        "import sys",
        "from chancery.search import indexer, parallel_writer, schema",
        "sys.path.insert(0, 'tests')",
        "from test_parallel_writer import Stall, generated, with_value",
        "indexer.PARALLEL_MIN_ARTICLES = 10",
        "parallel_writer.JOB_DOCUMENTS = 10",
        "schema.to_document = with_value(Stall())",
        f"indexer.Indexer({str(tmp_path)!r}, writers=2).write(generated(30))"])
    from conftest import ROOT
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(writer_processes(parent.pid)) < 2:
            time.sleep(0.2)
        writers = writer_processes(parent.pid)
        assert len(writers) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs(writers, timeout=10)
        assert not alive
    finally:
        parent.kill()


def writer_processes(pid: int) -> list:
    import psutil
    return [p for p in psutil.Process(pid).children() if "spawn_main" in " ".join(p.cmdline())]
