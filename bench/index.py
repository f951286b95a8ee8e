"""Indexing speed: `chancery index` against plain Whoosh on the same corpus.

    python -m bench.index --size 20k      # or 100k, 1m, or a number
    python -m bench.index --size 1m --resume    # go on with a run that was interrupted

Each indexer runs in its own process; wall time, peak memory (resident, with
children) and index size are recorded, then RESULTS.md is rewritten. A run's
progress is saved every few seconds beside its index, so an interrupted one goes on
with `--resume` (`chancery index --only-new`), its times added up. From 1M articles on,
plain Whoosh (40 minutes more) runs only with `--baseline`.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import common


BASELINE_UP_TO = 100_000
SAVE_EVERY_S = 10.0
POLL_S = 1.0            # PSS reads every process's smaps: more often costs the run CPU


def _pss(process: psutil.Process) -> int:
    try:
        return process.memory_full_info().pss
    except psutil.Error:
        return 0


def measure(command: list[str], cwd: Path = common.ROOT, progress=None) -> dict:
    """Run a command; return its wall seconds, peak resident memory in MB and CPU seconds by process kind.

    progress(seconds, peak_mb) is called every SAVE_EVERY_S seconds while it runs.
    The CPU seconds of the main process, its reading workers and its writer
    processes are sampled with the memory (up to POLL_S of each process's end unseen).
    """
    started = saved = time.perf_counter()
    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, cpu = 0, {}
    while process.poll() is None:
        try:
            processes = [process] + process.children(recursive=True)
            # Proportional set size: pages a forked writer shares with its parent count once.
            peak = max(peak, sum(_pss(p) for p in processes))
            for p in processes:
                cpu[p.pid] = (_kind(p, process), _cpu_seconds(p, cpu.get(p.pid, ("", 0.0))[1]))
        except psutil.Error:
            pass
        if progress is not None and time.perf_counter() - saved > SAVE_EVERY_S:
            saved = time.perf_counter()
            progress(saved - started, peak / 2**20)
        time.sleep(POLL_S)
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{command[2:4]} failed: {err.decode()[-2000:]}")
    by_kind = {kind: 0.0 for kind in PROCESS_KINDS}
    for kind, seconds_used in cpu.values():
        by_kind[kind] += seconds_used
    return {"seconds": round(seconds, 2), "peak_mb": round(peak / 2**20, 1), "output": out.decode().strip(),
            "cpu_by_process": {kind: round(value, 1) for kind, value in by_kind.items()}}


PROCESS_KINDS = ("main", "readers", "writers", "other")


def _kind(process: psutil.Process, main: psutil.Process) -> str:
    """Return what a process of `chancery index` is: main, readers (forked), writers (spawned) or other."""
    if process.pid == main.pid:
        return "main"
    command = " ".join(process.cmdline())
    if "resource_tracker" in command:
        return "other"
    return "writers" if "spawn_main" in command else "readers"


def _cpu_seconds(process: psutil.Process, last: float) -> float:
    try:
        times = process.cpu_times()
        return times.user + times.system
    except psutil.Error:
        return last                     # ended since it was listed: its last reading stands


def run(count: int, out: Path = common.OUT, resume: bool = False, baseline: bool | None = None,
        events: bool = True) -> dict:
    """Index the corpus of a size with both indexers; return the figures."""
    corpus = common.corpus(count)
    chancery_dir, plain_dir = out / f"index-chancery-{count}", out / f"index-plain-{count}"
    state_path = out / f"index-chancery-{count}.state.json"
    state = json.loads(state_path.read_text()) if resume and state_path.exists() else None
    if state is None:
        shutil.rmtree(chancery_dir, ignore_errors=True)
        state = {"seconds": 0.0, "peak_mb": 0.0, "runs": 0}
    state["runs"] += 1
    before = dict(state)

    def save(seconds: float, peak_mb: float) -> None:
        state.update(seconds=round(before["seconds"] + seconds, 2), peak_mb=round(max(before["peak_mb"], peak_mb), 1))
        state_path.write_text(json.dumps(state))

    command = [sys.executable, "-m", "chancery", "index", "--index-dir", str(chancery_dir), str(corpus),
               "--events", "on" if events else "off"]
    ours = measure(command + (["--only-new"] if before["runs"] > 1 else []), progress=save)
    save(ours["seconds"], ours["peak_mb"])
    ours.update(seconds=state["seconds"], peak_mb=state["peak_mb"])
    figures = {"articles": count, "runs": state["runs"], "peak_memory": "pss", "events": events}
    runs = [("chancery", ours, chancery_dir)]
    if baseline if baseline is not None else count <= BASELINE_UP_TO:
        shutil.rmtree(plain_dir, ignore_errors=True)
        plain = measure([sys.executable, "-m", "bench.baselines", "whoosh-index", str(corpus), str(plain_dir)])
        runs.append(("plain_whoosh", plain, plain_dir))
    for name, result, folder in runs:
        figures[name] = {"seconds": result["seconds"], "articles_per_s": round(count / result["seconds"], 1),
                         "peak_mb": result["peak_mb"], "index_mb": common.folder_size_mb(folder)}
    if "plain_whoosh" in figures:
        figures["speed_ratio"] = round(figures["chancery"]["articles_per_s"]
                                       / figures["plain_whoosh"]["articles_per_s"], 2)
        figures["size_ratio"] = round(figures["chancery"]["index_mb"] / figures["plain_whoosh"]["index_mb"], 2)
    state_path.unlink(missing_ok=True)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = common.arguments("Indexing benchmark: chancery against plain Whoosh.")
    parser.add_argument("--resume", action="store_true", help="go on with this size's interrupted run")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=None,
                        help=f"run plain Whoosh too (default: up to {BASELINE_UP_TO:,} articles)")
    parser.add_argument("--events", choices=("on", "off"), default="on",
                        help="index with events and meetings (off: the fast bulk import of --events off)")
    args = parser.parse_args(argv)
    figures = run(common.size_count(args.size), resume=args.resume, baseline=args.baseline,
                  events=args.events == "on")
    common.publish("index", args.size, figures)


if __name__ == "__main__":
    main()
