"""Events on the generated corpus: do rewrites land in their original's event, and at what cost?

    python -m bench.events --size 20k

bench.generate makes about 5% of articles near-duplicate rewrites of an earlier one
(id "<original>-r<n>") and every other article a story of its own. After indexing
with `chancery index`, this reports the recall of rewrites (in their original's
event; in its dup group), the share of multi-article events that mix unrelated
stories, and indexing time against the same command with events and meetings off
(the baseline is this code with `--events off`, or the python of another checkout
given with --baseline-python). Wall time and CPU time (of the command and its reading workers)
are both recorded: on a shared machine CPU time is the steadier figure. With --rounds N the
two commands alternate N times and each figure is the median of its N runs.
"""
from __future__ import annotations

import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

from whoosh import index as whoosh_index

from bench import common
from bench import search as bench_search
from bench.index import measure

REWRITE_RE = re.compile(r"-r\d+$")


def story(doc_id: str) -> str:
    """Return the generated story an article tells: its original's id."""
    return REWRITE_RE.sub("", doc_id)


def quality(index_dir: Path) -> dict:
    """Return rewrite recall and the mixing of events in an index of the generated corpus."""
    ix = whoosh_index.open_dir(index_dir, indexname="MAIN")
    with ix.searcher() as searcher:
        rows = {f["id"]: (f["event"], f["dup"]) for f in searcher.all_stored_fields()}
    rewrites = [i for i in rows if story(i) != i and story(i) in rows]
    members = defaultdict(set)
    for doc_id, (event, _) in rows.items():
        members[event].add(story(doc_id))
    sizes = defaultdict(int)
    for event, _ in rows.values():
        sizes[event] += 1
    multi = [e for e in members if sizes[e] > 1]
    return {"articles": len(rows), "rewrites": len(rewrites),
            "rewrite_event_recall": round(sum(rows[i][0] == rows[story(i)][0] for i in rewrites)
                                          / max(1, len(rewrites)), 4),
            "rewrite_dup_recall": round(sum(rows[i][1] == rows[story(i)][1] for i in rewrites)
                                        / max(1, len(rewrites)), 4),
            "events": len(members), "multi_article_events": len(multi),
            "mixed_event_share": round(sum(len(members[e]) > 1 for e in multi) / max(1, len(multi)), 4)}


def _cpu() -> float:
    """Return the CPU seconds of this process's finished children (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(count: int, baseline_python: str | None, rounds: int = 1) -> dict:
    """Index the corpus with events and with the baseline, alternating, rounds times; return the medians."""
    corpus = common.corpus(count)
    figures = {"articles": count, "rounds": rounds}
    runs = [("events", sys.executable, common.ROOT, [])]
    if baseline_python:
        runs.append(("baseline", baseline_python, Path(baseline_python).absolute().parent.parent.parent, []))
    else:
        runs.append(("baseline", sys.executable, common.ROOT, ["--events", "off"]))
    samples: dict[str, list[dict]] = defaultdict(list)
    for _ in range(rounds):
        for name, python, root, extra in runs:
            folder = common.OUT / f"index-{name}-{count}"
            shutil.rmtree(folder, ignore_errors=True)
            before = _cpu()
            result = measure([python, "-m", "chancery", "index", "--index-dir", str(folder), *extra,
                              str(corpus)], cwd=root)
            samples[name].append({"seconds": result["seconds"], "cpu_seconds": round(_cpu() - before, 2),
                                  "peak_mb": result["peak_mb"], "index_mb": common.folder_size_mb(folder),
                                  "cpu_by_process": result["cpu_by_process"]})
    for name, taken in samples.items():
        median = {key: round(statistics.median(s[key] for s in taken), 2) for key in taken[0]
                  if key != "cpu_by_process"}
        # Where the CPU went (main process: linking; readers: extraction and event features; writers: Whoosh).
        median["cpu_by_process"] = {kind: round(statistics.median(s["cpu_by_process"][kind] for s in taken), 1)
                                    for kind in taken[0]["cpu_by_process"]}
        figures[name] = {**median, "articles_per_s": round(count / median["seconds"], 1)}
        if rounds > 1:
            figures[name]["runs"] = taken
    figures["quality"] = quality(common.OUT / f"index-events-{count}")
    figures["baseline_is"] = baseline_python or "this code with --events off"
    figures["indexing_cost"] = round(figures["events"]["seconds"] / figures["baseline"]["seconds"] - 1, 3)
    # CPU time of the command and its workers: less at the mercy of other load on the machine.
    figures["indexing_cpu_cost"] = round(figures["events"]["cpu_seconds"] / figures["baseline"]["cpu_seconds"] - 1, 3)
    return figures


SEARCH_MODES = {"articles": {}, "collapse_event": {"collapse": "event"},
                "collapse_event_count_events": {"collapse": "event", "count": "events"}}


def search_times(count: int, queries: int) -> dict:
    """Time bench.search's queries (facets and snippets on) plain and collapsed, on the events index."""
    from chancery.search.searcher import SearchRequest, Service
    folder = common.OUT / f"index-events-{count}"
    export = common.OUT / f"export-events-{count}.jsonl"
    with export.open("w", encoding="utf-8") as handle:
        subprocess.run([sys.executable, "-m", "chancery", "export", "--index-dir", str(folder)],
                       cwd=common.ROOT, check=True, stdout=handle)
    cases = bench_search.make_queries(export, queries)
    service = Service(folder)
    figures = {}
    for mode, extra in SEARCH_MODES.items():
        def run(case: dict, facets: bool, snippets: bool, extra=extra) -> int:
            return service.search(SearchRequest(
                q=case["q"], filters=case["filters"], with_facets=facets, with_snippets=snippets,
                date_from=date.fromisoformat(case["from"]) if case["from"] else None,
                date_to=date.fromisoformat(case["to"]) if case["to"] else None, **extra))["total"]
        figures[mode] = bench_search.time_queries(run, cases, True, True)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = common.arguments("Events benchmark: rewrite recall, mixed events, indexing cost, collapse speed.")
    parser.add_argument("--baseline-python", help="python of another checkout to compare with "
                        "(default: this code with --events off)")
    parser.add_argument("--queries", type=int, default=300, help="search queries per mode")
    parser.add_argument("--rounds", type=int, default=1,
                        help="index with and without events this many times, alternating; report medians")
    parser.add_argument("--search-only", action="store_true",
                        help="keep the saved indexing figures and index; time the searches again")
    args = parser.parse_args(argv)
    count = common.size_count(args.size)
    if args.search_only:
        figures = json.loads((common.RESULTS / f"events-{args.size}.json").read_text())["figures"]
    else:
        figures = run(count, args.baseline_python, args.rounds)
    figures["search_ms"] = search_times(count, args.queries)
    common.publish("events", args.size, figures)


if __name__ == "__main__":
    main()
