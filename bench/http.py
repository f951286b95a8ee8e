"""Throughput and latency over HTTP: `chancery serve` (gunicorn) under locust.

    python -m bench.http --size 20k [--seconds 20] [--workers 2]

The server and locust run as separate processes on loopback; each load level
(1, 4, 16 concurrent clients) runs for a bounded time and stops by itself.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

from bench import common
from bench import search as search_bench
from chancery.server import launch, stop

LEVELS = (1, 4, 16)


def load(base: str, users: int, seconds: int, queries: Path, folder: Path) -> dict:
    """Run locust headless at one concurrency; return its aggregated figures."""
    prefix = folder / f"locust-{users}"
    env = {**os.environ, "CHANCERY_BENCH_QUERIES": str(queries)}
    subprocess.run([sys.executable, "-m", "locust", "-f", str(common.BENCH / "locustfile.py"), "--headless",
                    "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", base, "--csv", str(prefix),
                    "--only-summary", "--stop-timeout", "5", "--exit-code-on-error", "0"],
                   cwd=common.ROOT, env=env, check=True, capture_output=True, timeout=seconds + 120)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {"requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
            "req_per_s": round(float(row["Requests/s"]), 1), "p50": _number(row["50%"]),
            "p95": _number(row["95%"]), "p99": _number(row["99%"])}


def _number(text: str) -> float | None:
    """Return a locust figure; it writes N/A for a level in which no request finished."""
    try:
        return float(text)
    except ValueError:
        return None


def _anonymous_mb(process: psutil.Process) -> float:
    """Return a process's private anonymous memory (RssAnon), in MB."""
    with open(f"/proc/{process.pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_memory_mb(server: subprocess.Popen) -> dict:
    """Return the largest worker's resident memory, and the part that is its own.

    Whoosh reads the index through mmap, so resident memory also counts the pages
    of index files the worker touched: page cache, shared by all workers and given
    back under pressure. RssAnon is the memory a worker holds by itself.
    """
    workers = psutil.Process(server.pid).children(recursive=True)
    if not workers:
        return {"rss": 0.0, "anonymous": 0.0}
    return {"rss": round(max(w.memory_info().rss for w in workers) / 2**20, 1),
            "anonymous": round(max(_anonymous_mb(w) for w in workers), 1)}


def first_answer(index_dir: Path, workers: int, query: str, phases: dict | None = None) -> tuple:
    """Start the server; return it, its address and the seconds until its first search answered.

    phases, when given, gets the seconds until the server first answered its health check
    (a worker has prepared the index) and those the first search took after it.
    """
    started = time.perf_counter()
    server, base = launch(index_dir, workers, cwd=common.ROOT)
    healthy = time.perf_counter()
    with urllib.request.urlopen(f"{base}/api/search?q={urllib.parse.quote(query)}", timeout=120) as response:
        response.read()
    done = time.perf_counter()
    if phases is not None:
        phases.update(until_health_s=round(healthy - started, 2), first_search_s=round(done - healthy, 2))
    return server, base, round(done - started, 2)


def run(count: int, seconds: int, workers: int, out: Path = common.OUT) -> dict:
    paths = search_bench.prepare(count, out, with_baselines=False)
    cases = search_bench.make_queries(paths["export"], 500)
    figures: dict = {"articles": count, "workers": workers, "seconds_per_level": seconds, "levels": {}}
    with tempfile.TemporaryDirectory() as folder:
        queries = Path(folder) / "queries.json"
        queries.write_text(json.dumps(cases))
        figures["first_answer_phases"] = {}
        server, base, figures["first_answer_s"] = first_answer(paths["chancery"], workers, cases[0]["q"],
                                                               figures["first_answer_phases"])
        try:
            for users in LEVELS:
                figures["levels"][str(users)] = load(base, users, seconds, queries, Path(folder))
            figures["worker_memory_mb"] = worker_memory_mb(server)
        finally:
            stop(server)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = common.arguments("HTTP benchmark with locust.")
    parser.add_argument("--seconds", type=int, default=20, help="seconds per load level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args(argv)
    figures = run(common.size_count(args.size), args.seconds, args.workers)
    common.publish("http", args.size, figures)


if __name__ == "__main__":
    main()
