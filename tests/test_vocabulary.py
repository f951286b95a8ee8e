"""The index's unstemmed words: one file per commit, compacted, and what suggestions and prefixes see."""
from __future__ import annotations

from collections import Counter

import pytest

from chancery.search import analysis, articles, indexer, vocabulary
from chancery.search.searcher import SearchRequest, Service


@pytest.mark.parametrize("text", [
    "Lavrov met Kerry in Moscow on Tuesday.",
    "Ça coûte l'État: the Ministers' talks of 2016, ÉLAN and élan",
    "Переговоры в Женеве — talks in Geneva",
    "the of and a",                                       # stop words only
    "",
])
def test_words_are_the_analyzers_unstemmed_tokens(text):
    expected = {token.text for token in analysis.shared()(text, no_morph=True)}
    assert vocabulary.words(text) == expected


def article(doc_id: str, body: str) -> articles.Article:
    return articles.from_record({"id": doc_id, "title": "Note", "body": body})


def test_each_commit_adds_a_part_and_a_version_sees_only_its_own(tmp_path):
    writer = indexer.Indexer(tmp_path, with_events=False)
    first = writer.write([article("a", "Negotiations resumed in Geneva.")]).version
    second = writer.write([article("b", "Negotiations stalled over sanctions.")]).version
    assert vocabulary.load(tmp_path, first)["negotiations"] == 1
    assert vocabulary.load(tmp_path, second)["negotiations"] == 2
    assert vocabulary.load(tmp_path, second)["sanctions"] == 1
    assert "sanctions" not in vocabulary.load(tmp_path, first)


def test_parts_are_compacted_into_one_full_file(tmp_path, monkeypatch):
    monkeypatch.setattr(vocabulary, "COMPACT_AFTER", 3)
    writer = indexer.Indexer(tmp_path, with_events=False)
    for n in range(7):
        version = writer.write([article(f"d{n}", f"Envoys discussed topic{n} again.")]).version
    names = sorted(p.name for p in tmp_path.glob("WORDS-*"))
    assert len(names) <= 3 and any(".full." in name for name in names)
    words = vocabulary.load(tmp_path, version)
    assert words["envoys"] == 7 and all(words[f"topic{n}"] == 1 for n in range(7))


def test_the_file_of_a_commit_that_failed_is_ignored_then_replaced(tmp_path):
    writer = indexer.Indexer(tmp_path, with_events=False)
    version = writer.write([article("a", "Ceasefire talks in Doha.")]).version
    vocabulary.write(tmp_path, version + 1, Counter({"phantom": 5}))   # no table of contents names it
    assert "phantom" not in vocabulary.load(tmp_path, version)
    later = writer.write([article("b", "Ceasefire holds.")]).version
    assert later == version + 1
    assert "phantom" not in vocabulary.load(tmp_path, later)
    assert vocabulary.load(tmp_path, later)["ceasefire"] == 2


def test_suggestions_and_prefixes_come_from_the_words_files(tmp_path):
    indexer.Indexer(tmp_path, with_events=False).write(
        [article("a", "Negotiations on the pipeline resumed."), article("b", "The negotiators left Vienna.")])
    service = Service(tmp_path)
    assert service.search(SearchRequest(q="negotations"))["suggestion"] == "negotiations"
    assert service.search(SearchRequest(q="negotia*"))["total"] == 2
    assert service.search(SearchRequest(q="vien*"))["total"] == 1


def test_a_word_whose_articles_are_all_deleted_is_not_suggested(tmp_path):
    writer = indexer.Indexer(tmp_path, with_events=False)
    writer.write([article("a", "Referendum in Crimea."), article("b", "Grain deal renewed.")])
    writer.delete(["a"])
    service = Service(tmp_path)
    assert service.search(SearchRequest(q="referendm"))["suggestion"] is None


def test_a_file_pruned_while_an_older_version_reads_is_passed_over(tmp_path, monkeypatch):
    writer = indexer.Indexer(tmp_path, with_events=False)
    version = writer.write([article("a", "Envoys met.")]).version
    listed = vocabulary._in_view(tmp_path, version)
    for _, _, path in listed:
        path.unlink()                                          # pruned after it was listed
    monkeypatch.setattr(vocabulary, "_in_view", lambda folder, generation: listed)
    assert vocabulary.load(tmp_path, version) == Counter()
