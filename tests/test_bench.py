"""Small runs of every benchmark, so the scripts cannot rot. No timing is asserted."""
from __future__ import annotations

import json

import pytest

from bench import common, extract, generate, http, index, quality, report, search, writes


def test_generator_is_reproducible_and_news_like(tmp_path):
    first = list(generate.articles(300, seed=5))
    assert first == list(generate.articles(300, seed=5))
    assert first != list(generate.articles(300, seed=6))
    assert len(first) == 300 and len({a["id"] for a in first}) == 300
    assert all("2000-01-01" <= a["published"] <= "2026-12-31" for a in first)
    assert 250 <= sum(len(a["body"].split()) for a in first) / len(first) <= 650
    rewrites = [a for a in first if "-r" in a["id"]]
    assert 3 <= len(rewrites) <= 40


def test_generated_articles_carry_entities():
    from chancery.search import articles
    found = [articles.from_record(record) for record in generate.articles(40, seed=2)]
    assert sum(bool(a.persons) for a in found) >= 30
    assert sum(bool(a.countries) for a in found) >= 30


@pytest.fixture(scope="module")
def out(tmp_path_factory, monkeypatch_module):
    folder = tmp_path_factory.mktemp("bench")
    monkeypatch_module.setattr(common, "OUT", folder)
    return folder


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_index_benchmark(out):
    figures = index.run(150, out)
    assert figures["chancery"]["articles_per_s"] > 0 and figures["plain_whoosh"]["articles_per_s"] > 0
    assert figures["chancery"]["index_mb"] > 0 and figures["speed_ratio"] > 0


def test_an_interrupted_index_benchmark_goes_on_with_resume(out):
    import subprocess
    import sys
    corpus = common.corpus(200)
    folder, state = out / "index-chancery-200", out / "index-chancery-200.state.json"
    half = out / "half.jsonl"
    half.write_text("".join(corpus.read_text().splitlines(keepends=True)[:120]))
    subprocess.run([sys.executable, "-m", "chancery", "index", "--index-dir", str(folder), str(half)],
                   check=True, capture_output=True, cwd=common.ROOT)
    state.write_text(json.dumps({"seconds": 5.0, "peak_mb": 10.0, "runs": 1}))     # as a stopped run left it
    with pytest.raises(SystemExit, match="--resume"):
        search.prepare(200, out)                      # an unfinished index is not measured
    figures = index.run(200, out, resume=True, baseline=False)
    assert figures["runs"] == 2 and figures["chancery"]["seconds"] > 5.0
    assert "plain_whoosh" not in figures and not state.exists()
    from chancery.search import indexer
    assert indexer.stats(folder)["documents"] == 200


def test_search_benchmark_without_baselines(out):
    figures = search.run(150, 10, 5, out, with_baselines=False)
    assert all(set(mode) == {"chancery"} for mode in figures["modes"].values())
    kinds = figures["modes"]["top10_facets_snippets"]["chancery"]["by_kind"]
    assert set(kinds) <= {"phrase", "1-3 words", "4 words"} and sum(k["queries"] for k in kinds.values()) == 10


@pytest.mark.parametrize("q, expected", [
    ('"prime minister"', "phrase"), ("sanctions", "1-3 words"), ("iran nuclear talks", "1-3 words"),
    ("iran nuclear talks vienna", "4 words"), ("what did lavrov say on sanctions", "4 words"),
])
def test_query_kind_table(q, expected):
    assert search.kind({"q": q}) == expected


def test_extract_benchmark(out):
    figures = extract.run(60)
    assert figures["shipped"]["articles_per_s"] > 0 and figures["without_tagger"]["articles_per_s"] > 0
    assert figures["shipped"]["words_per_article"] > 200 and figures["tagger_cost_ratio"] > 0


def test_search_benchmark(out):
    figures = search.run(150, 20, 10, out)
    assert set(figures["modes"]) == set(search.MODES)
    for mode in figures["modes"].values():
        assert mode["chancery"]["queries"] == 20 and mode["plain_whoosh"]["queries"] == 10
        assert mode["sqlite_fts5"]["p50"] >= 0


@pytest.mark.server
def test_http_benchmark(out):
    figures = http.run(150, 2, 2, out)
    assert set(figures["levels"]) == {"1", "4", "16"}
    assert all(level["errors"] == 0 and level["requests"] > 0 for level in figures["levels"].values())
    assert figures["worker_memory_mb"]["rss"] >= figures["worker_memory_mb"]["anonymous"] > 0
    assert 0 < figures["first_answer_s"] < 60


@pytest.mark.server
def test_writes_benchmark_times_each_add(out):
    figures = writes.run(150, 4, 2, 0, 5, out, adds=2)["adds"]
    assert len(figures["ack_s"]) == 2 and figures["max_ack_s"] > 0
    assert figures["p95_idle_ms"] > 0 and figures["p95_adding_ms"] > 0


def test_queries_are_reproducible(out):
    export = out / "export-150.jsonl"
    assert search.make_queries(export, 50) == search.make_queries(export, 50)
    assert any(case["filters"] for case in search.make_queries(export, 50))


def test_report_renders_every_result(tmp_path, out):
    results = tmp_path / "results"
    common.save("index", "20k", index.run(150, out), results)
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## 20k articles" in text and "| chancery |" in text
    assert "indexing with entities against plain Whoosh" in text
    assert json.loads((results / "index-20k.json").read_text())["machine"]["cores"] >= 1
    assert report.render(results) == text


def test_report_renders_a_sizes_notes_on_its_misses(tmp_path, out):
    results = tmp_path / "results"
    common.save("index", "20k", index.run(150, out), results)
    (results / "misses-20k.md").write_text("Writing is bound by Whoosh's postings.\n", encoding="utf-8")
    text = report.render(results)
    section = text[text.index("## 20k articles"):]
    assert "### Where the misses come from" in section and "bound by Whoosh's postings." in section


@pytest.mark.parametrize("module", [index, search, http])
def test_each_benchmark_has_one_command(module, capsys):
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    assert "--size" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["relevance", "tune"])
def test_ranking_benchmarks_have_one_command(name, capsys):
    import importlib
    with pytest.raises(SystemExit) as done:
        importlib.import_module(f"bench.{name}").main(["--help"])
    assert done.value.code == 0 and "--indexes" in capsys.readouterr().out


def test_relevance_benchmark_on_one_collection(tmp_path):
    from bench import relevance
    figures = relevance.run(["adi"], tmp_path)
    adi = figures["collections"]["adi"]
    assert adi["queries"] == 35 and adi["refused"] == 0 == figures["refused"]
    assert 0 < adi["chancery"]["MAP"] <= 1 and 0 < adi["bm25"]["MAP"] <= 1
    assert adi["ratio"]["MAP"] == pytest.approx(adi["chancery"]["MAP"] / adi["bm25"]["MAP"], abs=1e-3)
    results = tmp_path / "results"
    common.save("relevance", "ir", figures, results)
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## Ranking quality" in text and "| adi | 35 | 0 | chancery |" in text


def test_leave_one_collection_out_picks_the_best_elsewhere():
    from bench import tune
    found = {"a": {"x": 1.2, "y": 0.9, "z": 1.0}, "b": {"x": 1.0, "y": 1.1, "z": 1.1}}
    assert tune.leave_one_out(found) == {"x": {"setting": "b", "held_out_ratio": 1.0},
                                         "y": {"setting": "a", "held_out_ratio": 0.9},
                                         "z": {"setting": "a", "held_out_ratio": 1.0}}


QUALITY_DOCS = {
    "entities": [
        {"id": "e1", "title": "Mill closes in Ohio town", "body": "TOLEDO, Ohio, Oct 12 - A glass mill closed. "
         "German buyers had left.", "persons": [], "places": ["TOLEDO", "Ohio"], "organizations": [],
         "misc": ["German"]},
        {"id": "e2", "title": "Talks in Ankara", "body": "Turkish and Greek envoys met in Ankara on Monday.",
         "persons": [], "places": ["Ankara"], "organizations": [], "misc": ["Turkish", "Greek"]},
    ],
    "topics": [
        {"id": "t1", "title": "Earthquake shakes coastal towns", "body": "Dozens of houses collapsed.",
         "topics": ["disasters"], "judged": ["disasters", "trade"], "set": "mine"},
        {"id": "t2", "title": "Central bank raises interest rates", "body": "The economy slowed.",
         "topics": ["trade"], "judged": ["disasters", "trade"], "set": "mine"},
    ],
}


@pytest.fixture
def shared_copy(tmp_path):
    """A shared/ folder with the dev sets' real evaluators and gold tables, and documents of our own."""
    from conftest import SHARED_GOLD, skip_or_fail
    dev = SHARED_GOLD.parent.parent / "dev"
    if not (dev / "topics" / "evaluate.py").exists():
        skip_or_fail("the shared dev evaluators are not here")
    for name, docs in QUALITY_DOCS.items():
        folder = tmp_path / "dev" / name
        folder.mkdir(parents=True)
        for source in (dev / name).glob("*"):
            if source.suffix in (".py", ".tsv"):
                (folder / source.name).write_bytes(source.read_bytes())
        (folder / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return tmp_path


def test_quality_scores_fresh_indexes_with_the_sets_evaluators(shared_copy):
    entities = quality.score(shared_copy, "entities")
    assert entities["figures"]["country_recall"] == 1.0
    assert entities["figures"]["country_precision"] == 1.0
    topics = quality.score(shared_copy, "topics")
    assert topics["figures"]["topic_micro_precision"] == 1.0 and topics["figures"]["topic_macro_f1"] == 1.0
    assert "evaluate.py export.jsonl" in topics["command"] and topics["report"].startswith("documents")


def test_quality_section_renders(tmp_path):
    results = tmp_path / "results"
    figures = {"command": "python -m bench.quality", "sets": {"topics": {
        "figures": quality.figures("micro      precision 0.9000  recall 0.5000  F1 0.6429  (TP 9, FP 1, FN 9)\n"
                                   "macro F1   0.7000  (mean over the 16 slugs with gold positives)\n"),
        "report": "documents 2 scored", "command": "chancery index ...", "index_seconds": 1.0}}}
    common.save("quality", "dev", figures, results)
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## Extraction quality on the dev sets" in text
    assert "| topics | topic micro precision | 0.9 |" in text and "| topics | topic macro F1 | 0.7 |" in text
    assert "## dev articles" not in text


def test_events_benchmark_alternates_rounds_and_reports_medians(tmp_path, out):
    from bench import events
    figures = events.run(60, None, rounds=2)
    assert [len(figures[name]["runs"]) for name in ("events", "baseline")] == [2, 2]
    walls = [run["seconds"] for run in figures["events"]["runs"]]
    assert abs(figures["events"]["seconds"] - sum(walls) / 2) <= 0.01
    assert figures["quality"]["articles"] == 60
    for name in ("events", "baseline"):
        by_process = figures[name]["cpu_by_process"]
        assert set(by_process) == {"main", "readers", "writers", "other"} and by_process["main"] > 0
        # Sampled, so never more than the CPU time the run's processes were charged.
        assert 0 <= sum(by_process.values()) <= figures[name]["cpu_seconds"] + 0.1
    common.save("events", "60", figures, tmp_path / "results")
    text = (tmp_path / "RESULTS.md").read_text()
    assert "Medians of 2 runs of each, alternated" in text and "CPU seconds by process" in text
