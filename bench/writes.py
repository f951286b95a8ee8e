"""Reads while the index is written: what a new version costs a reader.

    python -m bench.writes --size 5000 --label after [--seconds 15] [--users 8] [--writers 2] [--batch 10]
    python -m bench.writes --size 1m --label adds --adds 10 --batch 100 --seconds 60

In process: a Service answers a search, a separate writer commits a batch of new
articles, and the first search after it (which loads the new version) and the
second one are timed; ten rounds, medians. Over HTTP: `chancery serve` (2
workers) on a copy of the index, locust readers for --seconds with no writes, then
as long again while --writers clients POST batches back to back; req/s of both
and their ratio. The benchmark's index is copied, never written in place. Runs of
different code (--label before / after) are kept side by side in one result file.
With --adds N, one client POSTs N batches spread over the read load instead, and
each acknowledgement is timed (the 1M target: each ≤ 5 s, read p95 ≤ 2× idle).
"""
from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import common
from bench import http as http_bench
from bench import search as search_bench
from chancery.search import articles, indexer
from chancery.search.searcher import SearchRequest, Service
from chancery.server import launch, stop

TOKEN = "bench-writes"
ROUNDS = 10


def new_articles(tag: str, count: int) -> list[dict]:
    """Return count new articles whose ids start with tag."""
    return [{"id": f"{tag}-{n}", "title": f"Ministers meet on trade, round {n} ({tag})",
             "body": f"Lavrov met Kerry in Geneva on Syria and sanctions, round {n}, {tag}.",
             "published": "2016-03-24", "source": "Bench Wire"} for n in range(count)]


def first_search_after_write(index_dir: Path, batch: int) -> dict:
    """Time the first and the second search after each of ROUNDS commits, in process."""
    service = Service(index_dir)
    request = SearchRequest(q="talks sanctions")
    service.search(request)
    first, second = [], []
    for round_no in range(ROUNDS):
        indexer.Indexer(index_dir).write([articles.from_record(r) for r in new_articles(f"w{round_no}", batch)])
        for timings in (first, second):
            start = time.perf_counter()
            service.search(request)
            timings.append((time.perf_counter() - start) * 1000)
    return {"first_ms": round(statistics.median(first), 2), "second_ms": round(statistics.median(second), 2),
            "extra_ms": round(statistics.median(f - s for f, s in zip(first, second)), 2)}


def post(base: str, tag: str, batch: int, timeout: float = 60) -> None:
    """POST batch new articles whose ids start with tag, and wait for the answer."""
    body = json.dumps(new_articles(tag, batch)).encode()
    request = urllib.request.Request(base + "/api/articles", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def _writer(base: str, tag: str, batch: int, stop_event: threading.Event, done: list[int]) -> None:
    number = 0
    while not stop_event.is_set():
        post(base, f"{tag}{number}", batch)
        number += 1
        done.append(batch)


def reads_during_writes(index_dir: Path, cases: list[dict], seconds: int, users: int, writers: int,
                        batch: int) -> dict:
    """Return locust's read figures without writes and with writers POSTing back to back."""
    with tempfile.TemporaryDirectory() as folder:
        queries = Path(folder) / "queries.json"
        queries.write_text(json.dumps(cases))
        server, base = launch(index_dir, 2, env={"CHANCERY_API_TOKEN": TOKEN}, cwd=common.ROOT)
        try:
            for name in ("idle", "busy"):
                (Path(folder) / name).mkdir()
            idle = http_bench.load(base, users, seconds, queries, Path(folder) / "idle")
            stop_event, done = threading.Event(), []
            threads = [threading.Thread(target=_writer, args=(base, f"h{n}-", batch, stop_event, done))
                       for n in range(writers)]
            for thread in threads:
                thread.start()
            busy = http_bench.load(base, users, seconds, queries, Path(folder) / "busy")
            stop_event.set()
            for thread in threads:
                thread.join()
        finally:
            stop(server)
    return {"idle": idle, "writing": busy, "articles_written": sum(done),
            "read_ratio": round(busy["req_per_s"] / idle["req_per_s"], 2) if idle["req_per_s"] else None}


def timed_adds(index_dir: Path, cases: list[dict], seconds: int, users: int, posts: int, batch: int) -> dict:
    """POST posts batches spread over a read load of seconds; return each acknowledgement's seconds and the p95s."""
    with tempfile.TemporaryDirectory() as folder:
        queries = Path(folder) / "queries.json"
        queries.write_text(json.dumps(cases))
        server, base = launch(index_dir, 2, env={"CHANCERY_API_TOKEN": TOKEN}, cwd=common.ROOT)
        acks: list[float] = []

        def add() -> None:
            for number in range(posts):
                started = time.perf_counter()
                post(base, f"add{number}", batch, timeout=120)
                acks.append(round(time.perf_counter() - started, 2))
                time.sleep(max(0.0, seconds / posts - acks[-1]))
        try:
            for name in ("idle", "busy"):
                (Path(folder) / name).mkdir()
            idle = http_bench.load(base, users, seconds, queries, Path(folder) / "idle")
            thread = threading.Thread(target=add)
            thread.start()
            busy = http_bench.load(base, users, seconds, queries, Path(folder) / "busy")
            thread.join()
        finally:
            stop(server)
    return {"posts": posts, "batch": batch, "ack_s": acks, "max_ack_s": max(acks) if acks else None,
            "p95_idle_ms": idle["p95"], "p95_adding_ms": busy["p95"],
            "p95_ratio": round(busy["p95"] / idle["p95"], 2) if idle["p95"] else None,
            "idle": idle, "adding": busy}


def run(count: int, seconds: int, users: int, writers: int, batch: int, out: Path = common.OUT,
        adds: int = 0) -> dict:
    """Measure both on a copy of the benchmark index of count articles (or, with adds, timed POSTs)."""
    paths = search_bench.prepare(count, out, with_baselines=count <= search_bench.BASELINES_UP_TO)
    cases = search_bench.make_queries(paths["export"], 200)
    figures: dict = {"articles": count, "batch": batch, "users": users, "writers": writers}
    with tempfile.TemporaryDirectory(dir=out) as folder:
        copy = Path(folder) / "index"
        shutil.copytree(paths["chancery"], copy)
        if adds:
            figures["adds"] = timed_adds(copy, cases, seconds, users, adds, batch)
            return figures
        figures["in_process"] = first_search_after_write(copy, batch)
        figures["http"] = reads_during_writes(copy, cases, seconds, users, writers, batch)
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and record it."""
    parser = common.arguments(__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="seconds of reads without and with writes")
    parser.add_argument("--users", type=int, default=8, help="concurrent locust readers")
    parser.add_argument("--writers", type=int, default=2, help="clients POSTing batches back to back")
    parser.add_argument("--batch", type=int, default=10, help="articles per POST")
    parser.add_argument("--label", default="current", help="name of this run beside earlier ones (before, after)")
    parser.add_argument("--adds", type=int, default=0,
                        help="instead: POST this many batches spread over a read load, timing each acknowledgement")
    args = parser.parse_args(argv)
    figures = run(common.size_count(args.size), args.seconds, args.users, args.writers, args.batch, adds=args.adds)
    earlier = common.RESULTS / f"writes-{args.size}.json"
    runs = json.loads(earlier.read_text())["figures"]["runs"] if earlier.exists() else {}
    runs[args.label] = {**figures, "commit": common.machine()["commit"]}
    common.publish("writes", args.size, {"runs": runs})


if __name__ == "__main__":
    main()
