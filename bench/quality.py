"""Score extraction on the dev sets: fresh indexes, the sets' own evaluators, figures to RESULTS.md.

  python -m bench.quality [--shared ../shared] [--sets entities topics]

For each set it runs `chancery index` into a new temporary folder and `chancery export`,
then `python <set>/evaluate.py export.jsonl`, and saves the figures with the commit and
the command (bench/results/quality-dev.json, rendered as its own section of RESULTS.md).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common

SETS = ("entities", "topics")
FIGURES = {  # name -> pattern over the evaluator's output
    "person_recall": r"^persons\s+recall ([\d.]+)", "person_precision": r"^persons\s+.*precision ([\d.]+)",
    "country_recall": r"^countries\s+recall ([\d.]+)", "country_precision": r"^countries\s+.*precision ([\d.]+)",
    "topic_micro_precision": r"^micro\s+precision ([\d.]+)", "topic_micro_recall": r"^micro\s+.*recall ([\d.]+)",
    "topic_micro_f1": r"^micro\s+.*F1 ([\d.]+)", "topic_macro_f1": r"^macro F1\s+([\d.]+)",
    "topics_per_article": r"^topics/article\s+([\d.]+)",
}


def figures(output: str) -> dict:
    """Read the headline figures out of an evaluator's report."""
    found = {}
    for name, pattern in FIGURES.items():
        match = re.search(pattern, output, re.MULTILINE)
        if match:
            found[name] = float(match.group(1))
    return found


def score(shared: Path, name: str) -> dict:
    """Index one dev set afresh, export it, and run its evaluator."""
    chancery = [sys.executable, "-m", "chancery"]
    docs = shared / "dev" / name / "docs.jsonl"
    with tempfile.TemporaryDirectory(prefix=f"quality-{name}-") as tmp:
        index_dir, export = Path(tmp) / "index", Path(tmp) / "export.jsonl"
        started = time.perf_counter()
        subprocess.run(chancery + ["index", "--index-dir", str(index_dir), str(docs)], check=True,
                       capture_output=True, cwd=common.ROOT)
        seconds = round(time.perf_counter() - started, 1)
        with export.open("w", encoding="utf-8") as handle:
            subprocess.run(chancery + ["export", "--index-dir", str(index_dir)], check=True, stdout=handle,
                           cwd=common.ROOT)
        evaluator = shared / "dev" / name / "evaluate.py"
        output = subprocess.run([sys.executable, str(evaluator), str(export)], check=True, capture_output=True,
                                text=True).stdout
    return {"figures": figures(output), "index_seconds": seconds, "report": output.strip(),
            "command": f"chancery index --index-dir IX ../shared/dev/{name}/docs.jsonl && chancery export "
                       f"--index-dir IX > export.jsonl && python ../shared/dev/{name}/evaluate.py export.jsonl"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score entity and topic extraction on the dev sets.")
    parser.add_argument("--shared", type=Path, default=common.ROOT.parent / "shared",
                        help="the shared folder holding dev/ (default: ../shared)")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    args = parser.parse_args(argv)
    results = {name: score(args.shared.resolve(), name) for name in args.sets}
    common.publish("quality", "dev", {"command": "python -m bench.quality", "sets": results})


if __name__ == "__main__":
    main()
