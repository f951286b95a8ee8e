"""Every statement of shared/acceptance/events-gold.json, from 'chancery export' and from the API."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GOLD, ROOT, export, seed_ids

EVENTS_GOLD = Path(__file__).resolve().parent / "acceptance" / "events-gold.json"
SHARED_EVENTS_GOLD = ROOT.parent / "shared" / "acceptance" / "events-gold.json"
DATA = json.loads(EVENTS_GOLD.read_text(encoding="utf-8"))
IDS = seed_ids()
# Persons are named as in seeds-gold.json; any of its spellings is the same person.
SPELLINGS = {name: group[0] for group in json.loads(GOLD.read_text(encoding="utf-8"))["same_value_everywhere"]
             for name in group}


def person(name: str) -> str:
    return SPELLINGS.get(name, name)


def pairs(meetings: list[dict]) -> set[frozenset]:
    return {frozenset(person(p) for p in m["persons"]) for m in meetings}


@pytest.fixture(scope="module")
def exported(seed_index):
    return {row["id"]: row for row in export(seed_index)}


@pytest.fixture(scope="module")
def api(seed_index):
    from chancery.api import create_app
    client = create_app({"index_dir": str(seed_index)}).test_client()
    return {doc_id: client.get(f"/api/articles/{doc_id}").get_json() for doc_id in IDS.values()} | {"client": client}


def test_vendored_gold_matches_shared():
    if SHARED_EVENTS_GOLD.exists():
        assert json.loads(SHARED_EVENTS_GOLD.read_text(encoding="utf-8")) == DATA


@pytest.mark.parametrize("where", ["exported", "api"])
@pytest.mark.parametrize("number", range(len(DATA["events"])))
def test_event(request, where, number):
    rows = request.getfixturevalue(where)
    spec = DATA["events"][number]
    members = {IDS[name] for name in spec["articles"]}
    event = rows[IDS[spec["articles"][0]]]["event"]
    assert {rows[i]["event"] for i in members} == {event}
    assert {i for i in IDS.values() if rows[i]["event"] == event} == members


@pytest.mark.parametrize("number", range(len(DATA["events"])))
def test_event_from_the_events_endpoint(api, number):
    spec = DATA["events"][number]
    event = api[IDS[spec["articles"][0]]]["event"]
    found = api["client"].get(f"/api/events/{event}").get_json()
    assert {a["id"] for a in found["articles"]} == {IDS[name] for name in spec["articles"]}
    assert found["dates"] == spec["dates"]
    assert spec["place"] in found["countries"]


MEETINGS = [(name, kind, tuple(pair)) for name, spec in DATA["meetings"].items()
            for kind in ("must", "must_not") for pair in spec[kind]]


@pytest.mark.parametrize("where", ["exported", "api"])
@pytest.mark.parametrize("name, kind, pair", MEETINGS)
def test_meeting(request, where, name, kind, pair):
    rows = request.getfixturevalue(where)
    found = frozenset(person(p) for p in pair) in pairs(rows[IDS[name]]["meetings"])
    assert found == (kind == "must")


@pytest.mark.parametrize("where", ["exported", "api"])
def test_meeting_shape(request, where):
    rows = request.getfixturevalue(where)
    for doc_id in IDS.values():
        for meeting in rows[doc_id]["meetings"]:
            assert len(meeting["persons"]) == 2 and set(meeting["persons"]) <= set(rows[doc_id]["persons"])
            assert meeting["date"] is None or meeting["date"] == rows[doc_id]["published"] or \
                meeting["date"] <= rows[doc_id]["published"]
