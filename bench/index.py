"""Indexing speed: `chancery index` against plain Whoosh on the same corpus.

    python -m bench.index --size 20k      # or 100k, or a number

Each indexer runs in its own process; wall time, peak memory (resident, with
children) and index size are recorded, then RESULTS.md is rewritten.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import common


def measure(command: list[str], cwd: Path = common.ROOT) -> dict:
    """Run a command; return its wall seconds and peak resident memory in MB."""
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{command[2:4]} failed: {err.decode()[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_mb": round(peak / 2**20, 1), "output": out.decode().strip()}


def run(count: int, out: Path = common.OUT) -> dict:
    """Index the corpus of a size with both indexers; return the figures."""
    corpus = common.corpus(count)
    chancery_dir, plain_dir = out / f"index-chancery-{count}", out / f"index-plain-{count}"
    for folder in (chancery_dir, plain_dir):
        shutil.rmtree(folder, ignore_errors=True)
    ours = measure([sys.executable, "-m", "chancery", "index", "--index-dir", str(chancery_dir), str(corpus)])
    plain = measure([sys.executable, "-m", "bench.baselines", "whoosh-index", str(corpus), str(plain_dir)])
    figures = {"articles": count}
    for name, result, folder in (("chancery", ours, chancery_dir), ("plain_whoosh", plain, plain_dir)):
        figures[name] = {"seconds": result["seconds"], "articles_per_s": round(count / result["seconds"], 1),
                         "peak_mb": result["peak_mb"], "index_mb": common.folder_size_mb(folder)}
    figures["speed_ratio"] = round(figures["chancery"]["articles_per_s"] / figures["plain_whoosh"]["articles_per_s"], 2)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = common.arguments("Indexing benchmark: chancery against plain Whoosh.")
    args = parser.parse_args(argv)
    figures = run(common.size_count(args.size))
    common.publish("index", args.size, figures)


if __name__ == "__main__":
    main()
