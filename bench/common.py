"""What every benchmark shares: the corpus, percentiles, the machine, and RESULTS.md."""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from bench import generate

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"                 # corpora and indexes: git-ignored
RESULTS = BENCH / "results"         # one JSON per benchmark and size: committed
SIZES = {"20k": 20_000, "100k": 100_000, "1m": 1_000_000}


def size_count(name: str) -> int:
    """Return the article count of a size name ("20k", "100k", "1m" or a number)."""
    return SIZES.get(name) or int(name)


def corpus(count: int, seed: int = 1) -> Path:
    """Return the corpus file for a size, generating it the first time."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"corpus-{count}-{seed}.jsonl"
    build_once(path, lambda part: generate.main(["--count", str(count), "--seed", str(seed), "--out", str(part)]))
    return path


def build_once(path: Path, build) -> Path:
    """Make path with build(partial path) unless it exists; an interrupted build leaves no path to reuse."""
    if path.exists():
        return path
    partial = path.with_name(path.name + ".partial")
    if partial.is_dir():
        shutil.rmtree(partial)
    elif partial.exists():
        partial.unlink()
    build(partial)
    partial.rename(path)
    return path


def percentiles(values_ms: list[float]) -> dict[str, float]:
    """Return p50, p95 and p99 of a list of milliseconds."""
    ordered = sorted(values_ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]  # noqa: E731
    return {"p50": round(pick(0.50), 2), "p95": round(pick(0.95), 2), "p99": round(pick(0.99), 2)}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# Taken when the benchmark starts: a run of an hour must not be credited to a later commit.
COMMIT = _commit()


def machine() -> dict:
    """Describe the machine and the commit the figures belong to (the one checked out at the start)."""
    commit = COMMIT
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1),
            "python": platform.python_version()}


def folder_size_mb(path: Path) -> float:
    """Return the size of a folder's files in MB."""
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def save(name: str, size: str, figures: dict, results_dir: Path = RESULTS) -> Path:
    """Write one benchmark's figures and rebuild RESULTS.md from every result file."""
    results_dir.mkdir(exist_ok=True)
    path = results_dir / f"{name}-{size}.json"
    path.write_text(json.dumps({"machine": machine(), "figures": figures}, indent=2) + "\n")
    write_report(results_dir)
    return path


def arguments(description: str) -> argparse.ArgumentParser:
    """Return a benchmark's argument parser, with the --size every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", default="20k", help="20k, 100k, 1m or a number of articles")
    return parser


def publish(name: str, size: str, figures: dict) -> None:
    """Save a benchmark's figures (and RESULTS.md) and print them."""
    print(save(name, size, figures))
    print(json.dumps(figures, indent=2))


def write_report(results_dir: Path = RESULTS) -> Path:
    """Render RESULTS.md (beside the results folder) from the result files."""
    from bench import report
    target = results_dir.parent / "RESULTS.md"
    target.write_text(report.render(results_dir))
    return target
