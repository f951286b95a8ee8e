"""Choose ranking parameters on all IR collections together, with a leave-one-collection-out check.

    python -m bench.tune [--indexes bench/out] [--collections ...]

Runs a small grid of search.ranking parameters over every collection (indexes kept
in --indexes/ir-<name>), prints each setting's MAP ratio to plain BM25 per collection,
then, for each collection held out, the setting that is best on the others and what
it scores on the held-out one: a tuned setting that only helps where it was chosen
would show here.
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from bench import common, relevance

GRID = {"feedback": (0.0, 0.3, 0.4, 0.5), "feedback_docs": (5, 8), "proximity": (0.0, 0.3)}


def baseline_map(name: str) -> float:
    ev = relevance.evaluator()
    queries, qrels, _ = ev.load_collection(name)
    judged = [(q, t) for q, t in queries if qrels.get(q)]
    return relevance.score(ev, relevance.bm25_runs(name, judged), qrels, [q for q, _ in judged])["MAP"]


def grid(names: list[str], indexes: Path) -> dict[str, dict[str, float]]:
    """Return each setting's MAP ratio per collection."""
    from chancery.search import ranking
    base = {name: baseline_map(name) for name in names}
    found = {}
    for values in itertools.product(*GRID.values()):
        setting = dict(zip(GRID, values))
        params = ranking.with_params(**setting)
        ratios = {}
        for name in names:
            figures = relevance.evaluate(name, indexes / f"ir-{name}", params, baseline=False)
            ratios[name] = round(figures["chancery"]["MAP"] / base[name], 3)
        label = json.dumps(setting)
        found[label] = ratios
        print(label, ratios, flush=True)
    return found


def leave_one_out(found: dict[str, dict[str, float]]) -> dict[str, dict]:
    """For each collection, the setting best on the others (by mean ratio) and its held-out ratio."""
    names = next(iter(found.values())).keys()
    out = {}
    for held in names:
        best = max(found, key=lambda label: sum(r for n, r in found[label].items() if n != held))
        out[held] = {"setting": best, "held_out_ratio": found[best][held]}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Grid and leave-one-collection-out check of ranking parameters.")
    parser.add_argument("--indexes", type=Path, default=common.OUT, help="folder of the ir-<name> indexes")
    parser.add_argument("--collections", nargs="*", default=None)
    args = parser.parse_args(argv)
    found = grid(args.collections or relevance.collections(), args.indexes)
    for held, result in leave_one_out(found).items():
        print(f"held out {held}: best elsewhere {result['setting']} -> {result['held_out_ratio']}")


if __name__ == "__main__":
    main()
