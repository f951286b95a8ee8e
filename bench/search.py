"""Search latency in process: Chancery against plain Whoosh and SQLite FTS5.

    python -m bench.search --size 20k [--queries 500] [--baseline-queries 500]

The same queries (1-4 words, phrases, facet filters, date ranges) run in three
modes: top-10; top-10 with all facets; and with snippets too, each mode on systems
opened afresh (so no mode answers from the caches an earlier one filled). Plain Whoosh is used
as most web apps use it (a new searcher per request, groupedby facets); FTS5 ranks
with bm25 and counts facets with GROUP BY. Entities come from `chancery export`,
so every system filters and counts the same values.
"""
from __future__ import annotations

import argparse

import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from bench import baselines, common
from chancery.search import analysis, ranking

MODES = {"top10": (False, False), "top10_facets": (True, False), "top10_facets_snippets": (True, True)}
WARMUP = 30


def make_queries(export: Path, count: int, seed: int = 11) -> list[dict]:
    """Return reproducible benchmark queries drawn from the exported corpus."""
    rng = random.Random(seed)
    # The same draw as sampling the parsed rows, without parsing a million of them (GBs at 1M).
    with export.open("rb") as lines:
        rows = sum(1 for _ in lines)
    chosen = rng.sample(range(rows), min(rows, 2000))
    wanted = set(chosen)
    with export.open(encoding="utf-8") as lines:
        parsed = {number: json.loads(line) for number, line in enumerate(lines) if number in wanted}
    sample = [parsed[number] for number in chosen]
    frequency = Counter(w for row in sample for w in re.findall(r"[a-z]{4,}", row["body"].lower()))
    stop = analysis.stopwords()
    words = [w for w, _ in frequency.most_common(4000)[30:] if w not in stop]
    cases = []
    for _ in range(count):
        row = rng.choice(sample)
        roll = rng.random()
        if roll < 0.15:
            tokens = re.findall(r"[A-Za-z]{4,}", row["body"])
            start = rng.randrange(max(1, len(tokens) - 2))
            q = f'"{" ".join(tokens[start:start + 2])}"'
        else:
            q = " ".join(rng.sample(words, rng.randint(1, 4)))
        case = {"q": q, "filters": {}, "from": None, "to": None}
        if 0.55 <= roll < 0.80:
            facet, key = rng.choice([("country", "countries"), ("person", "persons"), ("topic", "topics")])
            if row[key]:
                case["filters"][facet] = [rng.choice(row[key])]
        elif roll >= 0.80:
            year = rng.randint(2000, 2024)
            case["from"], case["to"] = f"{year}-01-01", f"{year + rng.randint(0, 2)}-12-31"
        cases.append(case)
    return cases


def chancery_runner(index_dir: Path):
    from chancery.search.searcher import SearchRequest, Service
    service = Service(index_dir)

    def run(case: dict, facets: bool, snippets: bool) -> int:
        request = SearchRequest(q=case["q"], filters=case["filters"],
                                date_from=date.fromisoformat(case["from"]) if case["from"] else None,
                                date_to=date.fromisoformat(case["to"]) if case["to"] else None,
                                with_facets=facets, with_snippets=snippets)
        return service.search(request)["total"]
    return run


def kind(case: dict) -> str:
    """Return what a query costs like: a phrase, a sentence (ranked with feedback) or keywords."""
    if case["q"].startswith('"'):
        return "phrase"
    return "4 words" if len(case["q"].split()) >= ranking.MIN_WORDS else "1-3 words"


def time_queries(run, cases: list[dict], facets: bool, snippets: bool) -> dict:
    """Time each query after a warm-up; return percentiles in milliseconds, overall and by kind."""
    for case in cases[:WARMUP]:
        run(case, facets, snippets)
    timings: dict[str, list[float]] = {}
    for case in cases:
        started = time.perf_counter()
        run(case, facets, snippets)
        timings.setdefault(kind(case), []).append((time.perf_counter() - started) * 1000)
    by_kind = {name: {**common.percentiles(found), "queries": len(found)} for name, found in sorted(timings.items())}
    return {**common.percentiles([t for found in timings.values() for t in found]), "queries": len(cases),
            "by_kind": by_kind}


BASELINES_UP_TO = 100_000          # plain Whoosh and FTS5 past this only when asked: hours to build


def prepare(count: int, out: Path = common.OUT, with_baselines: bool = True) -> dict[str, Path]:
    """Build the three indexes of a corpus (reusing what exists)."""
    corpus = common.corpus(count)
    paths = {"chancery": out / f"index-chancery-{count}", "export": out / f"export-{count}.jsonl",
             "plain": out / f"index-plain-facets-{count}", "fts5": out / f"fts5-{count}.db"}
    if (out / f"index-chancery-{count}.state.json").exists():
        raise SystemExit(f"bench.index --size {count} was interrupted: finish it with --resume first")
    # Each built under a partial name and renamed when complete: a killed run is not reused.
    common.build_once(paths["chancery"], lambda part: subprocess.run(
        [sys.executable, "-m", "chancery", "index", "--index-dir", str(part), str(corpus)],
        cwd=common.ROOT, check=True, capture_output=True))

    def export(part: Path) -> None:
        with part.open("w", encoding="utf-8") as handle:
            subprocess.run([sys.executable, "-m", "chancery", "export", "--index-dir", str(paths["chancery"])],
                           cwd=common.ROOT, check=True, stdout=handle)
    common.build_once(paths["export"], export)
    if not with_baselines:
        return paths
    common.build_once(paths["plain"], lambda part: baselines.whoosh_index(paths["export"], part, with_facets=True))
    common.build_once(paths["fts5"], lambda part: baselines.fts5_build(paths["export"], part))
    return paths


def run(count: int, queries: int, baseline_queries: int, out: Path = common.OUT,
        with_baselines: bool | None = None) -> dict:
    """Time every system in every mode; return the figures with ratios."""
    with_baselines = count <= BASELINES_UP_TO if with_baselines is None else with_baselines
    paths = prepare(count, out, with_baselines)
    cases = make_queries(paths["export"], queries)
    # Each mode starts its systems afresh: the same queries again would be answered from the
    # caches the earlier modes filled (the term cache holds a 500-query mix at a million articles).
    systems = {"chancery": (lambda: chancery_runner(paths["chancery"]), cases)}
    if with_baselines:
        systems.update(plain_whoosh=(lambda: baselines.PlainWhoosh(paths["plain"]).search, cases[:baseline_queries]),
                       sqlite_fts5=(lambda: baselines.Fts5(paths["fts5"]).search, cases))
    figures: dict = {"articles": count, "modes": {}}
    for mode, (facets, snippets) in MODES.items():
        figures["modes"][mode] = {name: time_queries(start(), subset, facets, snippets)
                                  for name, (start, subset) in systems.items()}
        ours = figures["modes"][mode]["chancery"]
        for name in [n for n in ("plain_whoosh", "sqlite_fts5") if n in systems]:
            theirs = figures["modes"][mode][name]
            figures["modes"][mode][f"ratio_{name}"] = {k: round(theirs[k] / max(ours[k], 1e-6), 1)
                                                       for k in ("p50", "p95", "p99")}
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = common.arguments("In-process search benchmark.")
    parser.add_argument("--queries", type=int, default=500, help="queries per mode")
    parser.add_argument("--baseline-queries", type=int, default=500,
                        help="how many of them plain Whoosh runs (it is slow at 100k)")
    parser.add_argument("--baselines", action=argparse.BooleanOptionalAction, default=None,
                        help=f"time plain Whoosh and SQLite FTS5 too (default: up to {BASELINES_UP_TO:,} articles)")
    args = parser.parse_args(argv)
    figures = run(common.size_count(args.size), args.queries, args.baseline_queries, with_baselines=args.baselines)
    common.publish("search", args.size, figures)


if __name__ == "__main__":
    main()
