"""Linking at density: the cost of one article's link against a large committed index.

    python -m bench.link_density --index DIR --articles FILE.jsonl [--count 3000] [--cap 32]
    python -m bench.link_density ... --decisions OUT.json     # the event and dup ids, to compare runs

Past MEMORY_RECORDS articles a linker forgets what it wrote and finds every candidate
in the index (search.event_index), which is where a long import spends its linking
time. This links articles not in the index, one at a time, with the linker's memory
emptied after each, and prints milliseconds an article. To compare two checkouts, run
each one's own `.venv/bin/python -m bench.link_density` on the same index and
articles; with --decisions, their links can be compared id for id.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from chancery.search import batch, events, indexer
from chancery.search.articles import Article


def run(index_dir: Path, articles_path: Path, count: int, cap: int | None) -> tuple[float, list]:
    """Return seconds to link count articles against the index, and each one's [id, event, dup]."""
    if cap is not None:
        events.MAX_CANDIDATES = cap
    articles = [item for item in batch.read([articles_path], 2, True) if isinstance(item, Article)][:count]
    linker = events.Linker()
    decisions = []
    with indexer.open_index(index_dir).searcher() as searcher:
        linker.begin(searcher, set())
        started = time.perf_counter()
        for article in articles:
            fields = linker.link(article)
            decisions.append([article.id, fields["event"], fields["dup"]])
            # Keep the memory empty: the regime of a long import past MEMORY_RECORDS.
            linker.forget(article.id)
            linker.memory.clear()
            linker.by_key.clear()
            linker.by_band.clear()
        seconds = time.perf_counter() - started
    return seconds, decisions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a committed index with events (chancery index)")
    parser.add_argument("--articles", type=Path, required=True, help="JSON Lines articles not in that index")
    parser.add_argument("--count", type=int, default=3000, help="articles to link")
    parser.add_argument("--cap", type=int, help="events.MAX_CANDIDATES for this run (default: the code's)")
    parser.add_argument("--decisions", type=Path, help="write each article's [id, event, dup] here")
    args = parser.parse_args(argv)
    seconds, decisions = run(args.index, args.articles, args.count, args.cap)
    print(f"{len(decisions)} articles: {seconds:.2f} s, {1000 * seconds / max(1, len(decisions)):.2f} ms an article"
          f" (MAX_CANDIDATES {events.MAX_CANDIDATES})")
    if args.decisions:
        args.decisions.write_text(json.dumps(decisions))


if __name__ == "__main__":
    main()
