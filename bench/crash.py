"""Probe: does kill -9 of the server or of the indexer lose an acknowledged write?

    python -m bench.crash [--rounds 20] [--kind server|indexer] [--seed 1]

server: starts `chancery serve` (2 workers, its own process group) on an index of
seeds/, POSTs batches of new articles from two clients, kills the whole group with
SIGKILL at a random moment after the round's first acknowledged batch, restarts it
on the same folder, and checks that every article a 200 acknowledged is there, that
no batch is there in part, and that search still answers. indexer: runs `chancery index` on a file of new articles,
kills it at a random moment, and checks that the index opens, holds whole batches
only, and that a re-run completes it. Prints one JSON line per kind.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench import common

TOKEN = "crash-token"
BATCH = 20


def articles(prefix: str, count: int) -> list[dict]:
    """Return count small distinct articles whose ids start with prefix."""
    return [{"id": f"{prefix}-{n}", "title": f"Talks round {n} in Geneva ({prefix})",
             "body": f"Lavrov met Kerry in Geneva for round {n} of talks on Syria, {prefix}.",
             "published": "2016-03-24"} for n in range(count)]


def _post(base: str, batch: list[dict]) -> bool:
    request = urllib.request.Request(base + "/api/articles", data=json.dumps(batch).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def _present(base: str, ids: list[str]) -> list[bool]:
    found = []
    for doc_id in ids:
        try:
            with urllib.request.urlopen(f"{base}/api/articles/{doc_id}", timeout=30) as response:
                found.append(response.status == 200)
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            found.append(False)
    return found


def _start(folder: str):
    from chancery.server import launch
    # Its own session, so that one killpg takes the master and its workers at once, as a crash would.
    return launch(folder, workers=2, env={"CHANCERY_API_TOKEN": TOKEN}, new_session=True, wait=60)


def server_rounds(rounds: int, rng: random.Random) -> dict:
    """Kill the server during writes rounds times; count acknowledged articles lost and batches torn."""
    with tempfile.TemporaryDirectory(prefix="chancery-crash-") as folder:
        return _server_rounds(folder, rounds, rng)


def _server_rounds(folder: str, rounds: int, rng: random.Random) -> dict:
    subprocess.run([sys.executable, "-m", "chancery", "index", "--index-dir", folder, str(common.ROOT / "seeds")],
                   check=True, capture_output=True)
    acknowledged, attempted, lost, torn = [], [], 0, 0
    for round_no in range(rounds):
        process, base = _start(folder)
        stop = threading.Event()

        def client(name: str) -> None:
            number = 0
            while not stop.is_set():
                batch = articles(f"r{round_no}{name}{number}", BATCH)
                number += 1
                attempted.append([a["id"] for a in batch])
                if _post(base, batch):
                    acknowledged.append([a["id"] for a in batch])

        clients = [threading.Thread(target=client, args=(name,)) for name in "ab"]
        for thread in clients:
            thread.start()
        # Kill mid-stream: after this round's first acknowledgment, at a random moment.
        before, deadline = len(acknowledged), time.monotonic() + 120
        while len(acknowledged) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.log.close()
        stop.set()
        for thread in clients:
            thread.join()
    process, base = _start(folder)
    try:
        for ids in acknowledged:
            lost += _present(base, ids).count(False)
        for ids in attempted:
            if len(set(_present(base, ids))) > 1:
                torn += 1
        with urllib.request.urlopen(base + "/api/search?q=geneva", timeout=30) as response:
            searchable = response.status == 200
    finally:
        from chancery.server import stop as stop_server
        stop_server(process)
    return {"kind": "server", "kills": rounds, "batches_acknowledged": len(acknowledged),
            "articles_acknowledged": len(acknowledged) * BATCH, "acknowledged_lost": lost,
            "batches_torn": torn, "search_after": searchable}


def indexer_rounds(rounds: int, rng: random.Random, count: int = 600, batch_size: int = 50) -> dict:
    """Kill `chancery index` rounds times; check whole batches only and a complete re-run."""
    with tempfile.TemporaryDirectory(prefix="chancery-crash-") as folder:
        return _indexer_rounds(Path(folder), rounds, rng, count, batch_size)


def _indexer_rounds(folder: Path, rounds: int, rng: random.Random, count: int, batch_size: int) -> dict:
    from chancery.search import indexer
    partial_batches, reopened = 0, 0
    for round_no in range(rounds):
        source = folder / f"in-{round_no}.jsonl"
        source.write_text("".join(json.dumps(a) + "\n" for a in articles(f"i{round_no}", count)))
        index_dir = folder / f"ix-{round_no}"
        command = [sys.executable, "-m", "chancery", "index", "--index-dir", str(index_dir),
                   "--batch-size", str(batch_size), str(source)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if indexer.exists(index_dir):
            documents = indexer.stats(index_dir)["documents"]
            reopened += 1
            partial_batches += documents % batch_size != 0
        subprocess.run(command, check=True, capture_output=True)
        complete = indexer.stats(index_dir)["documents"] == count
        if not complete:
            return {"kind": "indexer", "kills": round_no + 1, "rerun_complete": False}
    return {"kind": "indexer", "kills": rounds, "index_opened_after_kill": reopened,
            "partial_batches": partial_batches, "rerun_complete": True}


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the probe and print one JSON line per kind."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="kills of each kind")
    parser.add_argument("--kind", choices=("server", "indexer", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    rows = []
    if args.kind in ("server", "both"):
        rows.append(server_rounds(args.rounds, rng))
    if args.kind in ("indexer", "both"):
        rows.append(indexer_rounds(args.rounds, rng))
    for row in rows:
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()
