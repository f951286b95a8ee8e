"""Every statement of shared/acceptance/seeds-gold.json, read from 'chancery export'."""
from __future__ import annotations

import json

import pytest

from conftest import GOLD, SHARED_GOLD, export

GOLD_DATA = json.loads(GOLD.read_text(encoding="utf-8"))
NAMES = sorted(GOLD_DATA["articles"])


@pytest.fixture(scope="module")
def exported(seed_index, gold):
    """The exported article for each seed file, found by a sentence of its body."""
    rows = export(seed_index)
    assert len(rows) == len(gold["articles"])
    by_name = {}
    for name, expected in gold["articles"].items():
        matches = [row for row in rows if expected["body_includes"][0] in row["body"]]
        assert len(matches) == 1, name
        by_name[name] = matches[0]
    return by_name


def test_vendored_gold_matches_shared():
    if SHARED_GOLD.exists():
        assert json.loads(SHARED_GOLD.read_text(encoding="utf-8")) == GOLD_DATA


@pytest.mark.parametrize("name", NAMES)
def test_title(exported, gold, name):
    assert exported[name]["title"] == gold["articles"][name]["title"]


@pytest.mark.parametrize("name", NAMES)
def test_source(exported, gold, name):
    assert exported[name]["source"] == gold["articles"][name].get("source")


@pytest.mark.parametrize("name", NAMES)
def test_dateline_date(exported, gold, name):
    expected = gold["articles"][name].get("published")
    if expected:
        assert exported[name]["published"] == expected


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["persons", "countries"])
def test_entities_exact(exported, gold, name, kind):
    spec = gold["articles"][name][kind]
    got = set(exported[name][kind])
    musts = [set(m) if isinstance(m, list) else {m} for m in spec["must"]]
    for accepted in musts:
        assert got & accepted, f"missing one of {accepted}"
    allowed = set().union(*musts) | set(spec["may"])
    assert got <= allowed, f"unexpected {got - allowed}"
    assert len(got) == len(exported[name][kind]), "a value is listed twice"


@pytest.mark.parametrize("name", NAMES)
def test_topics(exported, gold, name):
    spec = gold["articles"][name]["topics"]
    got = set(exported[name]["topics"])
    assert set(spec["must"]) <= got
    assert not got & set(spec["must_not"])


@pytest.mark.parametrize("name", NAMES)
def test_body(exported, gold, name):
    body = exported[name]["body"]
    for text in gold["articles"][name]["body_includes"]:
        assert text in body
    for text in gold["articles"][name]["body_excludes"]:
        assert text not in body


def test_one_spelling_per_person_everywhere(exported, gold):
    used = {person for row in exported.values() for person in row["persons"]}
    for spellings in gold["same_value_everywhere"]:
        assert len(used & set(spellings)) <= 1, spellings
        assert used & set(spellings), spellings


def test_never_a_person(exported, gold):
    used = {person for row in exported.values() for person in row["persons"]}
    assert not used & set(gold["never_a_person"])
