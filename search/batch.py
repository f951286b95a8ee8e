"""Read many inputs with several worker processes, keeping their order.

Cleaning and entity extraction take about as long as Whoosh's writing, so
`chancery index` reads with a pool of processes while the main process writes.
Work is cut into units (a file, or a slice of a JSON Lines file) so one large file
is shared out too.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from pathlib import Path
from typing import Iterator

from chancery.search import events
from chancery.search.articles import (JSONL_SUFFIXES, Article, ArticleError, Failure, input_files, read_bytes,
                                      read_json_lines, read_path)

LINES_PER_UNIT = 200
IN_FLIGHT_PER_PROCESS = 4
# Reading workers yield the CPU to the writer: linking in the main process bounds a
# large import, and reading ahead should fill the time it leaves, not slow it.
READER_NICENESS = 10
# Ids not to read again (`chancery index --only-new`): set before the pool forks, so
# the workers inherit it instead of receiving it with every unit.
_SKIP_IDS: frozenset = frozenset()


def units(paths: list[Path]) -> Iterator[tuple]:
    """Yield units of work: ("file", path, meta), ("lines", where, first line, text) or a Failure."""
    for item in input_files(paths):
        if isinstance(item, Failure):
            yield ("failure", item)
            continue
        path, meta = item
        if not path.exists():
            yield ("failure", Failure(str(path), "no such file or folder"))
        elif path.suffix.lower() in JSONL_SUFFIXES:
            try:
                yield from _line_units(path)
            except (OSError, ArticleError) as error:
                yield ("failure", Failure(str(path), str(error)))
        else:
            yield ("file", path, meta)


def _line_units(path: Path) -> Iterator[tuple]:
    """Yield a JSON Lines file's units of LINES_PER_UNIT lines, read as they are needed.

    Reading the whole file first held a 2.7 GB file three times over in memory (bytes,
    text, lines) before the first article was parsed. Each unit is decoded alone
    (UTF-8, else Latin-1, as read_bytes does for a whole file).
    """
    with path.open("rb") as handle:
        read_bytes(handle.read(8192))               # refuses a binary file before anything is read
        handle.seek(0)
        chunk: list[bytes] = []
        first = 1
        for number, raw in enumerate(handle, start=1):
            chunk.append(raw)
            if len(chunk) == LINES_PER_UNIT:
                yield ("lines", str(path), first, read_bytes(b"".join(chunk)))
                chunk, first = [], number + 1
        if chunk:
            yield ("lines", str(path), first, read_bytes(b"".join(chunk)))


def process(unit: tuple) -> list[Article | Failure]:
    """Read one unit of work, with the articles' event and meeting features."""
    return events.prepare(_read_unit(unit))


def process_plain(unit: tuple) -> list[Article | Failure]:
    """Read one unit of work, without event features (events off)."""
    return _read_unit(unit)


def _read_unit(unit: tuple) -> list[Article | Failure]:
    kind = unit[0]
    if kind == "failure":
        return [unit[1]]
    if kind == "lines":
        _, where, first_line, text = unit
        return list(read_json_lines(text, where, first_line, _SKIP_IDS))
    _, path, meta = unit
    return list(read_path(path, meta))


def read(paths: list[Path], processes: int = 1, with_events: bool = True,
         ahead: int = 0, skip_ids: frozenset = frozenset()) -> Iterator[Article | Failure]:
    """Yield the articles and failures of files and folders, in order, read by processes workers.

    Up to `ahead` articles (at least a few units per process) are read ahead of the
    consumer, so the workers go on reading while it writes a batch. JSON Lines records
    whose id is in skip_ids are not read.
    """
    global _SKIP_IDS
    _SKIP_IDS = frozenset(skip_ids)
    work = process if with_events else process_plain
    if processes <= 1:
        for unit in units(paths):
            yield from work(unit)
        return
    # fork: workers inherit the loaded gazetteers instead of loading them again.
    # At most in_flight units wait at a time, so a writer slower than the readers
    # does not make parsed articles pile up in memory (Pool.imap reads ahead without limit).
    with multiprocessing.get_context("fork").Pool(processes, initializer=os.nice, initargs=(READER_NICENESS,)) as pool:
        pending: deque = deque()
        in_flight = max(IN_FLIGHT_PER_PROCESS * processes, ahead // LINES_PER_UNIT)
        for unit in units(paths):
            pending.append(pool.apply_async(work, (unit,)))
            if len(pending) >= in_flight:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
