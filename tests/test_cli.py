"""The command line: index, export, stats, and bad input."""
from __future__ import annotations

import json

import pytest

from chancery.cli import cli
from conftest import SEEDS, export


@pytest.mark.parametrize("command", [[], ["index"], ["export"], ["stats"], ["explain"]])
def test_help(runner, command):
    result = runner.invoke(cli, command + ["--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_index_summary_and_idempotence(runner, tmp_path):
    args = ["index", "--index-dir", str(tmp_path), str(SEEDS)]
    first = runner.invoke(cli, args)
    second = runner.invoke(cli, args)
    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output.startswith("indexed 5, replaced 0, failed 0 in ")
    assert second.output.startswith("indexed 0, replaced 5, failed 0 in ")
    assert len(export(tmp_path)) == 5


def test_index_dir_from_environment(runner, tmp_path):
    result = runner.invoke(cli, ["index", str(SEEDS)], env={"CHANCERY_INDEX_DIR": str(tmp_path / "env")})
    assert result.exit_code == 0
    assert len(export(tmp_path / "env")) == 5


def test_bad_setting_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["index", "--lock-timeout", "-1", str(SEEDS)])
    assert result.exit_code == 2
    assert "--lock-timeout: must be positive" in result.output


def test_broken_files_are_named_and_the_rest_indexed(runner, tmp_path, seeds_copy):
    index_dir = tmp_path / "ix"
    assert runner.invoke(cli, ["index", "--index-dir", str(index_dir), str(SEEDS)]).exit_code == 0
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (seeds_copy / "batch.jsonl").write_text(
        json.dumps({"id": "j1", "title": "Lavrov meets Blinken in Geneva", "body": "They met."}) + "\n{oops\n"
        + json.dumps({"id": "j2", "title": "Sanctions extended by the EU", "body": "Brussels said."}) + "\n")
    result = runner.invoke(cli, ["index", "--index-dir", str(index_dir), str(seeds_copy)])
    assert result.exit_code == 1
    assert f"failed: {seeds_copy / 'empty.txt'}: empty text" in result.output
    assert f"failed: {seeds_copy / 'image.txt'}: binary file" in result.output
    assert f"failed: {seeds_copy / 'batch.jsonl'}:2: invalid JSON" in result.output
    assert "indexed 2, replaced 5, failed 3" in result.output
    ids = {row["id"] for row in export(index_dir)}
    assert len(ids) == 7 and {"j1", "j2"} <= ids


def test_export_shape(seed_index):
    rows = export(seed_index)
    assert {tuple(sorted(row)) for row in rows} == {
        ("body", "countries", "event", "id", "meetings", "persons", "published", "source", "title", "topics",
         "url")}
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)


def test_stats(runner, seed_index):
    result = runner.invoke(cli, ["stats", "--index-dir", str(seed_index), "--top", "2"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "documents: 5"
    assert ["5", "Vladimir", "Putin"] in [line.split() for line in lines]


@pytest.mark.parametrize("command", ["export", "stats"])
def test_missing_index(runner, tmp_path, command):
    result = runner.invoke(cli, [command, "--index-dir", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no index in" in result.output


def test_search_json_is_the_api_response(runner, seed_index):
    from chancery.api import create_app
    result = runner.invoke(cli, ["search", "--index-dir", str(seed_index), "--json", "Lavrov", "sanctions",
                                 "--country", "USA", "--country", "DPRK", "--or", "country"])
    assert result.exit_code == 0, result.output
    ours = json.loads(result.output)
    client = create_app({"index_dir": str(seed_index)}).test_client()
    theirs = client.get("/api/search?q=Lavrov+sanctions&country=USA&country=DPRK&country_op=or").get_json()
    for response in (ours, theirs):
        response.pop("took_ms")
    assert ours == theirs


def test_search_text_output(runner, seed_index):
    result = runner.invoke(cli, ["search", "--index-dir", str(seed_index), "Lavrof", "sanctons"])
    assert result.exit_code == 0
    assert "did you mean: lavrov sanctions" in result.output
    result = runner.invoke(cli, ["search", "--index-dir", str(seed_index), "Pompeo", "--from", "2019-01-01"])
    assert result.output.splitlines()[0].startswith("1 results in ")
    assert "1. Putin, Pompeo discuss Syria" in result.output
    assert "*Pompeo*" in result.output


@pytest.mark.parametrize("args, message", [
    (["url:x"], "q: unknown field 'url'"),
    (["--per-page", "0", "x"], "Invalid value for '--per-page'"),
    (["--sort", "best", "x"], "Invalid value for '--sort'"),
])
def test_search_errors(runner, seed_index, args, message):
    result = runner.invoke(cli, ["search", "--index-dir", str(seed_index)] + args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parallel_reading_gives_the_same_index(runner, tmp_path, seeds_copy, jobs):
    lines = [json.dumps({"id": f"j{i}", "title": f"Article number {i} here", "body": "Lavrov met John Kerry."})
             for i in range(450)]
    lines[300] = "{broken"
    (seeds_copy / "many.jsonl").write_text("\n".join(lines) + "\n")
    result = runner.invoke(cli, ["index", "--jobs", jobs, "--batch-size", "100", "--index-dir",
                                 str(tmp_path / "ix"), str(seeds_copy)])
    assert result.exit_code == 1
    assert f"failed: {seeds_copy / 'many.jsonl'}:301: invalid JSON" in result.output
    assert "indexed 454, replaced 0, failed 1" in result.output
    rows = export(tmp_path / "ix")
    assert len(rows) == 454
    assert {"Sergey Lavrov", "John Kerry"} <= set(next(r for r in rows if r["id"] == "j7")["persons"])


def test_explain(runner, seed_index):
    article = next(row for row in export(seed_index) if row["countries"] and row["topics"])
    result = runner.invoke(cli, ["explain", "--index-dir", str(seed_index), article["id"]])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["id"] == article["id"]
    assert list(shown["explain"]["countries"]) == article["countries"]
    assert list(shown["explain"]["topics"]) == article["topics"]
    for value, spans in shown["explain"]["countries"].items():
        assert all(article[s["field"]][s["start"]:s["end"]] == s["text"] for s in spans), value


def test_explain_unknown_id(runner, seed_index):
    result = runner.invoke(cli, ["explain", "--index-dir", str(seed_index), "no-such-id"])
    assert result.exit_code != 0
    assert "no article with id 'no-such-id'" in result.output


def test_hostile_records_are_named_and_the_rest_indexed(runner, tmp_path):
    lines = [
        json.dumps({"id": "g1", "title": "A good note on talks", "body": "Lavrov met Kerry."}),
        json.dumps({"id": "b1", "title": "A bad url", "body": "Text.", "url": 5}),
        '{"id": "s1", "title": "Cut scraped text", "body": "a \\ud800 b"}',
        json.dumps({"id": "r1", "title": "One word many times", "body": "sanctions " * 140_000}),
        "[" * 5000 + "]" * 5000,
        json.dumps({"id": "g2", "title": "Another good note", "body": "Talks in Geneva."}),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["index", "--index-dir", str(tmp_path / "ix"), str(path)])
    assert result.exit_code == 1
    assert f"failed: {path}:2: url must be a string, not a number" in result.output
    assert f"failed: {path}:5: invalid JSON: nested too deeply" in result.output
    assert "indexed 4, replaced 0, failed 2" in result.output
    assert {row["id"] for row in export(tmp_path / "ix")} == {"g1", "s1", "r1", "g2"}


@pytest.mark.parametrize("command", [["search", "talks"], ["stats"], ["export"]])
def test_commands_on_an_empty_index(runner, tmp_path, command):
    from chancery.search import indexer
    indexer.open_index(tmp_path, create=True)
    result = runner.invoke(cli, [command[0], "--index-dir", str(tmp_path), *command[1:]])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_undated_articles_in_cli_search(runner, tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"id": "d1", "title": "A dated note on talks", "body": "Lavrov met Blinken.",
                                "published": "2020-05-01"}) + "\n"
                    + json.dumps({"id": "u1", "title": "An undated note on talks", "body": "Lavrov met Blinken."})
                    + "\n", encoding="utf-8")
    assert runner.invoke(cli, ["index", "--index-dir", str(tmp_path / "ix"), str(path)]).exit_code == 0
    result = runner.invoke(cli, ["search", "--index-dir", str(tmp_path / "ix"), "--json", "talks"])
    assert result.exit_code == 0, result.output
    assert {r["id"]: r["published"] for r in json.loads(result.output)["results"]} == {"d1": "2020-05-01", "u1": None}
