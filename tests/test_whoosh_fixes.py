"""Fixes to whoosh-ng: phrase positions, and a commit that is durable before it is published."""
from __future__ import annotations

import os
import subprocess
import tracemalloc
import sys

import pytest
from whoosh import formats

from chancery.search import articles, indexer, schema
from chancery.search.searcher import SearchRequest, Service


def test_positions_ending_in_a_dot_byte_decode():
    value = formats.Positions().encode([3, 49])     # gaps 3 and 46: the last byte is b"."
    assert value.endswith(b".")
    assert formats.Positions().decode_positions(value) == [3, 49]


def test_phrase_query_over_such_a_term(tmp_path):
    filler = " ".join(f"w{i}" for i in range(45))
    body = f"start talks {filler} talks political transition"
    indexer.Indexer(tmp_path).write([articles.from_record({"id": "a", "title": "Headline words here",
                                                           "body": body})])
    response = Service(tmp_path).search(SearchRequest(q='"political transition"'))
    assert [r["id"] for r in response["results"]] == ["a"]


def test_a_merging_commit_publishes_its_toc_only_after_its_files_are_on_disk(tmp_path, monkeypatch):
    records = [{"id": f"a{i}", "title": f"Note {i} on talks", "body": f"Lavrov met Kerry, round {i}."}
               for i in range(3)]
    writer = indexer.Indexer(tmp_path)
    for record in records:                      # three segments, merged by the next commit
        writer.write([articles.from_record(record)])
    log, paths = [], {}
    real = {name: getattr(os, name) for name in ("open", "fsync", "rename", "replace", "remove", "unlink")}

    def opened(path, flags, *args, **kwargs):
        fd = real["open"](path, flags, *args, **kwargs)
        paths[fd] = os.fspath(path)
        return fd

    monkeypatch.setattr(os, "open", opened)
    monkeypatch.setattr(os, "fsync", lambda fd: (log.append(("fsync", paths.get(fd))), real["fsync"](fd))[1])
    for name in ("rename", "replace"):
        monkeypatch.setattr(os, name, lambda a, b, _f=real[name]: (log.append(("rename", os.fspath(b))), _f(a, b))[1])
    for name in ("remove", "unlink"):
        monkeypatch.setattr(os, name, lambda p, _f=real[name]: (log.append(("remove", os.fspath(p))), _f(p))[1])
    old = {str(tmp_path / name) for name in os.listdir(tmp_path)}
    ix = indexer.open_index(tmp_path)
    w = ix.writer()
    w.add_document(**schema.to_document(articles.from_record(
        {"id": "b", "title": "Another note", "body": "More talks."})))
    w.commit(optimize=True)
    monkeypatch.undo()

    toc_at = next(i for i, (op, path) in enumerate(log) if op == "rename" and path.endswith(".toc"))
    synced_before = {path for op, path in log[:toc_at] if op == "fsync"}
    new_files = {str(tmp_path / name) for segment in indexer.open_index(tmp_path)._segments()
                 for name in segment.list_files(indexer.open_index(tmp_path).storage)}
    assert new_files and new_files <= synced_before
    assert str(tmp_path) in synced_before                      # the folder, before the rename
    assert ("fsync", str(tmp_path)) in log[toc_at:]             # and after it
    # A new compound segment removes its own parts as it assembles them; what
    # matters is that nothing of the previous generation goes before the rename.
    removed_old = [i for i, (op, path) in enumerate(log) if op == "remove" and path in old]
    assert removed_old and min(removed_old) > log.index(("fsync", str(tmp_path)), toc_at) > toc_at


def test_an_index_written_before_the_packages_moved_still_opens(tmp_path, monkeypatch):
    from chancery.search import analysis
    import chancery.search
    # Write the schema as a release before 0.2 did: its analyzer names search.analysis.
    monkeypatch.setitem(sys.modules, "search", chancery.search)
    monkeypatch.setitem(sys.modules, "search.analysis", analysis)
    for value in vars(analysis).values():
        if isinstance(value, type) and value.__module__ == analysis.__name__:
            monkeypatch.setattr(value, "__module__", "search.analysis")
    index_dir = tmp_path / "old"
    indexer.Indexer(index_dir).write([articles.from_record(
        {"id": "a", "title": "Talks in Geneva", "body": "Lavrov met Blinken in Geneva."})])
    monkeypatch.undo()
    toc = b"".join(path.read_bytes() for path in index_dir.glob("*.toc"))
    assert b"search.analysis" in toc and b"chancery.search.analysis" not in toc
    # A fresh interpreter outside the repository, where no top-level `search` exists.
    script = ("import sys; from chancery.search.searcher import SearchRequest, Service;"
              "print([r['id'] for r in Service(sys.argv[1]).search(SearchRequest(q='geneva'))['results']])")
    done = subprocess.run([sys.executable, "-c", script, str(index_dir)], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['a']"


@pytest.mark.parametrize("steps, expected", [
    ([("read", 3)], [b"abc"]),
    ([("read", -1)], [b"abcdef\nghij"]),
    ([("seek", 4, 0), ("read", 2)], [4, b"ef"]),
    ([("read", 2), ("seek", 1, 1), ("read", 1), ("tell",)], [b"ab", 3, b"d", 4]),
    ([("seek", -2, 2), ("read", 10), ("read", 1)], [9, b"ij", b""]),
    ([("readline",), ("readline",)], [b"abcdef\n", b"ghij"]),
    ([("readinto", 4), ("tell",)], [b"abcd", 4]),
])
def test_a_view_file_reads_like_a_file(steps, expected):
    from chancery.search.whoosh_fixes import ViewIO
    view = ViewIO(memoryview(b"abcdef\nghij"))
    got = []
    for name, *args in steps:
        if name == "readinto":
            buffer = bytearray(args[0])
            view.readinto(buffer)
            got.append(bytes(buffer))
        else:
            got.append(getattr(view, name)(*args))
    assert got == expected


def test_opening_a_reader_does_not_copy_the_segment_into_memory(tmp_path):
    words = [f"word{i}" for i in range(3000)]
    records = [{"id": f"a{n}", "title": f"Note {n}",
                "body": " ".join(words[(n * 7 + k * 13) % 3000] for k in range(400))} for n in range(300)]
    indexer.Indexer(tmp_path).write([articles.from_record(r) for r in records])
    segment_bytes = sum(path.stat().st_size for path in tmp_path.glob("*.seg"))
    ix = indexer.open_index(tmp_path)
    tracemalloc.start()
    reader = ix.reader()
    reader.doc_count()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    reader.close()
    assert segment_bytes > 1_000_000
    assert peak < segment_bytes / 10


@pytest.mark.parametrize("values", [
    [b"", b"a", b"bb" * 50, b"", b"x" * 300],
    [b"%d" % n for n in range(5000)],
    [],
])
def test_a_variable_bytes_columns_offsets_are_whooshs_own(values):
    from whoosh import columns
    from whoosh.filedb.filestore import RamStorage
    from chancery.search import whoosh_fixes
    storage = RamStorage()
    column = columns.VarBytesColumn()
    with storage.create_file("column") as written:
        writer = column.writer(written)
        for doc, value in enumerate(values):
            writer.add(doc, value)
        writer.finish(len(values))
        length = written.tell()
    reader = column.reader(storage.open_file("column"), 0, length, len(values))
    found = (reader._offsets.tolist(), reader._lengths.tolist())
    whoosh_fixes._READ_OFFSETS_AND_LENGTHS(reader)          # Whoosh's own loop
    assert found == (reader._offsets.tolist(), reader._lengths.tolist())
    whoosh_fixes.read_offsets_and_lengths(reader)
    assert [reader[doc] for doc in range(len(values))] == values
