"""Small runs of every benchmark, so the scripts cannot rot. No timing is asserted."""
from __future__ import annotations

import json

import pytest

from bench import common, extract, generate, http, index, report, search


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
    from search import articles
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


@pytest.mark.parametrize("module", [index, search, http])
def test_each_benchmark_has_one_command(module, capsys):
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    assert "--size" in capsys.readouterr().out
