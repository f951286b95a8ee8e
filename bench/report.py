"""Render bench/RESULTS.md from the result files the benchmarks write."""
from __future__ import annotations

import json
from pathlib import Path

TARGETS = {  # size -> (p50 ms, p95 ms, ratio to plain Whoosh, req/s at 16, p95 ms at 16, worker MB)
    "20k": (5, 20, 20, 150, 150, 400),
    "100k": (20, 80, 20, 100, 300, 800),
    "1m": (30, 120, None, 60, 500, 1024),
}
INDEX_TARGETS = {  # size -> (speed against plain Whoosh, size against plain Whoosh, minutes, peak MB)
    "20k": (2, None, None, None),
    "100k": (1.2, 1.2, None, None),
    "1m": (None, None, 60, 4096),
}
MODE_NAMES = {"top10": "top-10", "top10_facets": "top-10 + facets",
              "top10_facets_snippets": "top-10 + facets + snippets"}


def _load(results_dir: Path) -> dict:
    found = {}
    for path in sorted(results_dir.glob("*.json")):
        name, size = path.stem.split("-", 1)
        found[(name, size)] = json.loads(path.read_text())
    return found


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _machine(entry: dict) -> str:
    m = entry["machine"]
    return (f"{m['date']}, commit `{m['commit']}`, {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), "
            f"Python {m['python']}")


def render(results_dir: Path) -> str:
    """Return the Markdown report."""
    found = _load(results_dir)
    sizes = sorted({size for name, size in found if name not in ("relevance", "quality")},
                   key=lambda s: (len(s), s))
    lines = ["# Benchmark results", "",
             "Written by the benchmark scripts (`bench/README.md` says how to run each); do not edit by hand.", ""]
    lines += ["## Targets", "", "| target | size | figure | target | verdict |", "|---|---|---|---|---|"]
    for size in sizes:
        goal = TARGETS.get(size)
        if not goal:
            continue
        search = found.get(("search", size))
        if search:
            mode = search["figures"]["modes"]["top10_facets_snippets"]
            lines.append(f"| p50, top-10 + facets + snippets | {size} | {mode['chancery']['p50']} ms | ≤ {goal[0]} ms "
                         f"| {_verdict(mode['chancery']['p50'] <= goal[0])} |")
            lines.append(f"| p95, the same | {size} | {mode['chancery']['p95']} ms | ≤ {goal[1]} ms "
                         f"| {_verdict(mode['chancery']['p95'] <= goal[1])} |")
            ratio = mode.get("ratio_plain_whoosh", {}).get("p50")
            if goal[2] is not None and ratio is not None:
                lines.append(f"| against plain Whoosh with groupedby (p50 ratio) | {size} | {ratio}× "
                             f"| ≥ {goal[2]}× | {_verdict(ratio >= goal[2])} |")
        http = found.get(("http", size))
        if http:
            level = http["figures"]["levels"].get("16", {})
            ok = level.get("req_per_s", 0) >= goal[3] and level.get("p95", 1e9) <= goal[4] and level.get("errors") == 0
            lines.append(f"| HTTP at 16 clients | {size} | {level.get('req_per_s')} req/s, p95 {level.get('p95')} ms, "
                         f"{level.get('errors')} errors | ≥ {goal[3]} req/s, p95 ≤ {goal[4]} ms, 0 errors "
                         f"| {_verdict(ok)} |")
            memory = http["figures"].get("worker_memory_mb", 0)
            if isinstance(memory, dict):
                lines.append(f"| memory of one serving worker (its own; resident with mmapped index pages) "
                             f"| {size} | {memory['anonymous']} MB ({memory['rss']} MB) | ≤ {goal[5]} MB "
                             f"| {_verdict(memory['anonymous'] <= goal[5])} |")
            else:
                lines.append(f"| memory of one serving worker | {size} | {memory} MB | ≤ {goal[5]} MB "
                             f"| {_verdict(memory <= goal[5])} |")
        lines += _index_targets(size, found.get(("index", size)))
    lines.append("")
    for size in sizes:
        lines += [f"## {size} articles", ""]
        index = found.get(("index", size))
        if index:
            f = index["figures"]
            lines += [f"### Indexing ({_machine(index)})", "",
                      "| indexer | seconds | articles/s | peak memory MB | index MB |", "|---|---|---|---|---|"]
            for name in ("chancery", "plain_whoosh"):
                if name in f:
                    r = f[name]
                    lines.append(f"| {name} | {r['seconds']} | {r['articles_per_s']} | {r['peak_mb']} "
                                 f"| {r['index_mb']} |")
            lines.append("")
            if "speed_ratio" in f:
                lines += [f"Chancery indexes at {f['speed_ratio']}× plain Whoosh's articles/s, "
                          "while also cleaning text and extracting entities"
                          + (f"; its index is {f['size_ratio']}× plain Whoosh's." if "size_ratio" in f else "."), ""]
            if f.get("peak_memory") == "pss":
                lines += ["Peak memory: the proportional set size of the indexer and its processes (a page "
                          "that forked processes share counts once).", ""]
            if f.get("events") is False:
                lines += ["Built with `--events off`: no events and no meetings "
                          "(bench.events measures their cost).", ""]
            if f.get("runs", 1) > 1:
                lines += [f"The build ran in {f['runs']} parts (resumed with `--only-new`); seconds add up.", ""]
        search = found.get(("search", size))
        if search:
            lines += [f"### Search in process, milliseconds ({_machine(search)})", "",
                      "| mode | system | queries | p50 | p95 | p99 |", "|---|---|---|---|---|---|"]
            for mode, systems in search["figures"]["modes"].items():
                for name in [n for n in ("chancery", "plain_whoosh", "sqlite_fts5") if n in systems]:
                    r = systems[name]
                    lines.append(f"| {MODE_NAMES[mode]} | {name} | {r['queries']} | {r['p50']} | {r['p95']} "
                                 f"| {r['p99']} |")
                for name in [n for n in ("plain_whoosh", "sqlite_fts5") if f"ratio_{n}" in systems]:
                    r = systems[f"ratio_{name}"]
                    lines.append(f"| {MODE_NAMES[mode]} | {name} ÷ chancery | | {r['p50']}× | {r['p95']}× "
                                 f"| {r['p99']}× |")
            lines.append("")
            kinds = search["figures"]["modes"]["top10_facets_snippets"]["chancery"].get("by_kind")
            if kinds:
                lines += ["Chancery by kind of query (top-10 + facets + snippets; 4 words and more rank with "
                          "proximity and feedback):", "",
                          "| kind | queries | p50 | p95 | p99 |", "|---|---|---|---|---|"]
                lines += [f"| {name} | {r['queries']} | {r['p50']} | {r['p95']} | {r['p99']} |"
                          for name, r in kinds.items()]
                lines.append("")
        lines += _events_section(found.get(("events", size)))
        lines += _writes_section(found.get(("writes", size)))
        http = found.get(("http", size))
        if http:
            f = http["figures"]
            lines += [f"### HTTP, {f['workers']} gunicorn workers, {f['seconds_per_level']} s a level "
                      f"({_machine(http)})",
                      "", "| clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
                      "|---|---|---|---|---|---|---|"]
            for users, r in f["levels"].items():
                lines.append(f"| {users} | {r['requests']} | {r['errors']} | {r['req_per_s']} | {r['p50']} | "
                             f"{r['p95']} | {r['p99']} |")
            if "first_answer_s" in f:
                phases = f.get("first_answer_phases") or {}
                detail = (f" ({phases['until_health_s']} s until it answered its health check, a worker's version"
                          f" prepared; {phases['first_search_s']} s for the search)") if phases else ""
                lines += ["", f"From the server's start to its first search answered: {f['first_answer_s']} s{detail}."]
            memory = f.get("worker_memory_mb")
            if isinstance(memory, dict):
                lines += ["", f"Largest serving worker after the run: {memory['anonymous']} MB of its own memory "
                          f"(RssAnon), {memory['rss']} MB resident including the index pages it reads through "
                          "mmap (page cache, shared between workers).", ""]
            else:
                lines += ["", f"Largest serving worker after the run: {memory} MB resident.", ""]
        misses = results_dir / f"misses-{size}.md"
        if misses.exists():
            # Written by hand from profiles: what the figures alone cannot say.
            lines += ["### Where the misses come from, and the next steps", "",
                      misses.read_text(encoding="utf-8").strip(), ""]
    relevance = found.get(("relevance", "ir"))
    if relevance:
        lines += _relevance(relevance)
    for (name, size), entry in sorted(found.items()):
        if name == "extract":
            lines += _extract(size, entry)
    lines += _quality(found.get(("quality", "dev")))
    return "\n".join(lines) + "\n"


def _index_targets(size: str, index: dict | None) -> list[str]:
    """Return the Targets rows of an indexing run."""
    goal = INDEX_TARGETS.get(size)
    if not index or not goal:
        return []
    f, rows = index["figures"], []
    if goal[0] is not None and "speed_ratio" in f:
        rows.append(f"| indexing with entities against plain Whoosh | {size} | {f['speed_ratio']}× | ≥ {goal[0]}× "
                    f"| {_verdict(f['speed_ratio'] >= goal[0])} |")
    if goal[1] is not None and "size_ratio" in f:
        rows.append(f"| index size against plain Whoosh's | {size} | {f['size_ratio']}× | ≤ {goal[1]}× "
                    f"| {_verdict(f['size_ratio'] <= goal[1])} |")
    if goal[2] is not None:
        minutes = round(f["chancery"]["seconds"] / 60, 1)
        peak = f["chancery"]["peak_mb"]
        how = "`chancery index`" + (" --events off" if f.get("events") is False else "")
        rows.append(f"| building the index with {how} | {size} | {minutes} min, peak {peak} MB "
                    f"| ≤ {goal[2]} min, ≤ {goal[3]} MB | {_verdict(minutes <= goal[2] and peak <= goal[3])} |")
    return rows


def _extract(size: str, entry: dict) -> list[str]:
    """Render the extraction speed of `python -m bench.extract`, with its baseline when there is one."""
    f = entry["figures"]
    lines = [f"## Entity extraction speed, one core, {size} articles ({_machine(entry)})", "",
             f"CPU time, best of 3 rounds, {f['shipped']['words_per_article']} words an article; "
             f"target ≥ {f['target_articles_per_s']} articles of ~400 words a second.", "",
             "| run | articles/s | words/s | without the tagger, articles/s |", "|---|---|---|---|"]
    runs = [("this commit", f)] + ([(f"baseline `{f['baseline'].get('checkout', '?')}`", f["baseline"])]
                                   if "baseline" in f else [])
    for label, run in runs:
        lines.append(f"| {label} | {run['shipped']['articles_per_s']} | {run['shipped']['words_per_s']} | "
                     f"{run['without_tagger']['articles_per_s']} |")
    verdict = _verdict(f["shipped"]["articles_per_s"] * f["shipped"]["words_per_article"] / 400
                       >= f["target_articles_per_s"])
    lines += ["", f"Against the target (scaled to 400 words): {verdict}."
              + (f" This commit ÷ baseline: {f['ratio_to_baseline']}×." if "ratio_to_baseline" in f else ""), ""]
    return lines


def _relevance(entry: dict) -> list[str]:
    """Return the ranking-quality section: ours against plain BM25 per collection."""
    f = entry["figures"]
    metrics = ("MAP", "nDCG@10", "P@10", "R@100")
    lines = [f"## Ranking quality on the classic IR collections ({_machine(entry)})", "",
             f"`{f['command']}`: each collection of ../shared/dev/ir indexed by Chancery's indexer, its judged "
             "queries as written run through the search service the API calls (one page of 100); plain BM25 is "
             "bm25s (k1 1.5, b 0.75) over title and body with the same tokenizer, Snowball stemmer and stop words, "
             "in the same process. Metrics are evaluate.py's.", "",
             "| collection | queries | refused | system | " + " | ".join(metrics) + " |",
             "|---|---|---|---|" + "---|" * len(metrics)]
    for name, c in f["collections"].items():
        for system in ("chancery", "bm25"):
            lines.append(f"| {name} | {c['queries']} | {c['refused'] if system == 'chancery' else ''} | {system} | "
                         + " | ".join(str(c[system][m]) for m in metrics) + " |")
        lines.append(f"| {name} | | | ratio | " + " | ".join(f"{c['ratio'][m]}×" for m in metrics) + " |")
    mean = f["mean_ratio"]
    lowest = min(c["ratio"]["MAP"] for c in f["collections"].values())
    lines += [f"| **mean ratio** | | {f['refused']} | | " + " | ".join(f"{mean[m]}×" for m in metrics) + " |", "",
              f"Targets: mean MAP ratio ≥ 1.05 ({_verdict(mean['MAP'] >= 1.05)}: {mean['MAP']}×), no collection "
              f"below 0.98 ({_verdict(lowest >= 0.98)}: lowest {lowest}×), no refused query "
              f"({_verdict(f['refused'] == 0)}: {f['refused']}).", ""]
    return lines


QUALITY_ROWS = [("entities", "person recall", "person_recall"), ("entities", "person precision", "person_precision"),
                ("entities", "country recall", "country_recall"),
                ("entities", "country precision", "country_precision"),
                ("topics", "topic micro precision", "topic_micro_precision"),
                ("topics", "topic micro recall", "topic_micro_recall"),
                ("topics", "topic macro F1", "topic_macro_f1"), ("topics", "topics per article", "topics_per_article")]


def _quality(entry: dict | None) -> list[str]:
    """Render the dev-set extraction figures of `python -m bench.quality`."""
    if not entry:
        return []
    sets = entry["figures"]["sets"]
    lines = [f"## Extraction quality on the dev sets ({_machine(entry)})", "",
             f"Command: `{entry['figures']['command']}` (a fresh index of each set, then its own evaluate.py).", "",
             "| set | figure | value |", "|---|---|---|"]
    for name, label, key in QUALITY_ROWS:
        if name in sets and key in sets[name]["figures"]:
            lines.append(f"| {name} | {label} | {sets[name]['figures'][key]} |")
    for name, result in sets.items():
        lines += ["", f"### {name}: evaluator report", "", f"`{result['command']}`", "", "```",
                  result["report"], "```"]
    return lines + [""]


def _events_section(entry: dict | None) -> list[str]:
    """Return the lines of the events benchmark (bench.events), if it ran at this size."""
    if not entry:
        return []
    f, q = entry["figures"], entry["figures"]["quality"]
    lines = [f"### Events and meetings ({_machine(entry)})", "",
             "| indexer | seconds | CPU seconds | articles/s | peak memory MB | index MB |",
             "|---|---|---|---|---|---|"]
    for name in ("events", "baseline"):
        if name in f:
            r = f[name]
            lines.append(f"| {name} | {r['seconds']} | {r.get('cpu_seconds', '')} | {r['articles_per_s']} "
                         f"| {r['peak_mb']} | {r['index_mb']} |")
    if "indexing_cost" in f:
        lines += ["", f"Against {f.get('baseline_is', 'a checkout without events')}, events and meetings add "
                  f"{f['indexing_cost'] * 100:.1f}% to indexing wall time"
                  + (f" and {f['indexing_cpu_cost'] * 100:.1f}% to its CPU time" if "indexing_cpu_cost" in f else "")
                  + " (target ≤ 20%)."]
    if all("cpu_by_process" in f.get(name, {}) for name in ("events", "baseline")):
        parts = {name: ", ".join(f"{kind} {value:g}" for kind, value in f[name]["cpu_by_process"].items()
                                 if kind != "other") for name in ("events", "baseline")}
        lines += ["", f"CPU seconds by process (sampled each second): events {parts['events']}; "
                  f"baseline {parts['baseline']}."]
    if f.get("rounds", 1) > 1:
        walls = {name: ", ".join(f"{run['seconds']:g}" for run in f[name]["runs"]) for name in ("events", "baseline")}
        lines += ["", f"Medians of {f['rounds']} runs of each, alternated; wall seconds of the runs: "
                  f"events {walls['events']}; baseline {walls['baseline']}."]
    lines += ["", f"Rewrites in their original's event: {q['rewrite_event_recall']:.1%} of {q['rewrites']}; "
              f"in its dup group: {q['rewrite_dup_recall']:.1%}. Events with more than one article: "
              f"{q['multi_article_events']} of {q['events']}; of those, {q['mixed_event_share']:.1%} mix "
              "unrelated generated stories.", ""]
    if "search_ms" in f:
        lines += ["| search (facets and snippets on), ms | queries | p50 | p95 | p99 |", "|---|---|---|---|---|"]
        for mode, r in f["search_ms"].items():
            lines.append(f"| {mode.replace('_', ' ')} | {r['queries']} | {r['p50']} | {r['p95']} | {r['p99']} |")
        lines.append("")
    return lines


def _adds_section(entry: dict, adds: dict) -> list[str]:
    """Return the lines of timed POSTs into a large index (bench.writes --adds)."""
    lines = []
    for label, r in adds.items():
        a = r["adds"]
        ok = a["max_ack_s"] is not None and a["max_ack_s"] <= 5 and (a["p95_ratio"] or 99) <= 2
        lines += [f"### Adding articles under a read load ({_machine(entry)}, commit `{r['commit']}`)", "",
                  f"{a['posts']} POSTs of {a['batch']} articles spread over the read load of {r['users']} locust "
                  "readers, 2 workers. Target: each acknowledged ≤ 5 s, read p95 while adding ≤ 2× idle: "
                  f"{_verdict(ok)}.", "",
                  "| acknowledgements, s | slowest, s | read p95 idle, ms | read p95 while adding, ms | ratio |",
                  "|---|---|---|---|---|",
                  f"| {', '.join(str(x) for x in a['ack_s'])} | {a['max_ack_s']} | {a['p95_idle_ms']} "
                  f"| {a['p95_adding_ms']} | {a['p95_ratio']} |", ""]
    return lines


def _writes_section(entry: dict | None) -> list[str]:
    """Return the lines of the reads-during-writes benchmark (bench.writes), one row per labelled run."""
    if not entry:
        return []
    runs = {label: r for label, r in entry["figures"]["runs"].items() if "http" in r}
    adds = {label: r for label, r in entry["figures"]["runs"].items() if "adds" in r}
    lines = _adds_section(entry, adds)
    if not runs:
        return lines
    first = next(iter(runs.values()))
    lines += [f"### Reads during writes ({_machine(entry)})", "",
              f"In process: the first search after a commit of {first['batch']} articles (it loads the new version) "
              f"and the next one. HTTP: 2 workers, {first['users']} locust readers, without writes and while "
              f"{first['writers']} clients POST batches of {first['batch']} back to back. Idle figures move with "
              "the machine's other load (runs are minutes apart); the ratio and the p95 while writing are the "
              "figures to compare.", "",
              "| run | commit | first search after a write, ms | next search, ms | reads/s idle | reads/s writing "
              "| ratio | p95 ms idle | p95 ms writing | articles written |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in runs.items():
        http = r["http"]
        lines.append(f"| {label} | `{r['commit']}` | {r['in_process']['first_ms']} | {r['in_process']['second_ms']} "
                     f"| {http['idle']['req_per_s']} | {http['writing']['req_per_s']} | {http['read_ratio']} "
                     f"| {http['idle']['p95']} | {http['writing']['p95']} | {http['articles_written']} |")
    return lines + [""]
