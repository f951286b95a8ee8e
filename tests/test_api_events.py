"""Events and meetings over HTTP: collapse, count=events, met, /api/events, /api/meetings, errors."""
from __future__ import annotations

import pytest

from conftest import TOKEN, seed_ids

IDS = seed_ids()
KERRY = [IDS[n] for n in ("000_e39298b12db851d7.txt", "001_224ac308bebe3a85.txt", "002_934d1242ebfa021c.txt",
                          "003_aee61f491a169a4d.txt")]
POMPEO = IDS["004_52ecd7c270426ee5.txt"]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def facet(response: dict, name: str, value: str) -> int:
    return next((b["count"] for b in response["facets"][name] if b["value"] == value), 0)


@pytest.mark.parametrize("query, articles, events", [
    ("", 5, 2),
    ("q=Putin", 5, 2),
    ("q=Kerry", 4, 1),
    ("q=Pompeo", 1, 1),
    ("country=Russia&from=2017-01-01", 1, 1),
])
def test_collapse_event_counts_events(client, query, articles, events):
    plain = client.get(f"/api/search?{query}").get_json()
    collapsed = client.get(f"/api/search?{query}&collapse=event").get_json()
    assert plain["total"] == articles and collapsed["total"] == events
    assert len({r["event"]["id"] for r in collapsed["results"]}) == events
    assert sum(r["event"]["size"] for r in collapsed["results"]) == articles


def test_collapsed_result_is_the_best_ranked_and_describes_its_event(client):
    best = client.get("/api/search?q=Kerry Lavrov talks").get_json()["results"][0]
    collapsed = client.get("/api/search?q=Kerry Lavrov talks&collapse=event").get_json()["results"][0]
    assert collapsed["id"] == best["id"]
    assert collapsed["event"]["size"] == 4
    assert collapsed["event"]["sources"] == ["Financial Tribune", "Vestnik Kavkaza", "Xinhua"]
    assert (collapsed["event"]["first"], collapsed["event"]["last"]) == ("2016-03-24", "2016-03-25")


def test_count_events_counts_each_event_once(client):
    articles = client.get("/api/search").get_json()
    events = client.get("/api/search?count=events").get_json()
    assert facet(articles, "country", "Russia") == 5 and facet(events, "country", "Russia") == 2
    assert facet(articles, "person", "John Kerry") == 4 and facet(events, "person", "John Kerry") == 1
    assert {b["value"]: b["count"] for b in events["facets"]["published"]} == {"2016-03": 1, "2019-05": 1}
    assert events["total"] == 5, "count=events changes the counts, not the results"


def test_collapse_duplicates_and_a_posted_copy(client):
    assert client.get("/api/search?collapse=duplicates").get_json()["total"] == 5
    original = client.get(f"/api/articles/{POMPEO}").get_json()
    words = original["body"].split()
    copy = {"id": "copy-1", "title": original["title"], "source": "Another Agency", "published": "2019-05-15",
            "body": " ".join("indeed" if i % 40 == 3 else w for i, w in enumerate(words))}
    assert client.post("/api/articles", json=copy, headers=AUTH).status_code == 200
    assert client.get("/api/search?collapse=duplicates").get_json()["total"] == 5
    assert client.get("/api/search").get_json()["total"] == 6
    hit = next(r for r in client.get("/api/search?q=Pompeo&collapse=duplicates").get_json()["results"])
    assert hit["copies"] == 2
    assert client.get("/api/articles/copy-1").get_json()["event"] == original["event"]


@pytest.mark.parametrize("query, expected", [
    ("person=John Kerry&met=Sergey Lavrov", {KERRY[1], KERRY[2], KERRY[3]}),
    ("person=Kerry&met=Sergei Lavrov", {KERRY[1], KERRY[2], KERRY[3]}),
    ("person=John Kerry&met=Vladimir Putin", set(KERRY)),
    ("person=Vladimir Putin&met=Mike Pompeo", {POMPEO}),
    ("met=Mike Pompeo", {POMPEO}),
    ("person=John Kerry&met=Bashar al-Assad", set()),
    ("person=Dmitry Peskov&met=Vladimir Putin", set()),
])
def test_met_filter(client, query, expected):
    found = client.get(f"/api/search?{query}&per_page=100").get_json()
    assert {r["id"] for r in found["results"]} == expected


def test_event_endpoint(client):
    event = client.get(f"/api/articles/{KERRY[0]}").get_json()["event"]
    found = client.get(f"/api/events/{event}").get_json()
    dates = [a["published"] for a in found["articles"]]
    assert dates == sorted(dates) and len(dates) == 4
    assert found["label"] in {a["title"] for a in found["articles"]}
    assert {"John Kerry", "Vladimir Putin", "Sergey Lavrov"} <= set(found["persons"])
    assert client.get("/api/events/ev-0000").status_code == 404
    assert client.get(f"/api/events/{event}?x=1").status_code == 400


def test_events_search(client):
    found = client.get("/api/events?q=Putin&sort=oldest").get_json()
    assert found["total"] == 2 and "results" not in found
    first, second = found["events"]
    assert first["size"] == 4 and second["size"] == 1 and second["article"]["id"] == POMPEO
    assert first["label"] and first["article"]["id"] in KERRY
    assert client.get("/api/events?collapse=duplicates").status_code == 400


def test_meetings_endpoint(client):
    found = client.get("/api/meetings?person=Kerry").get_json()
    assert found["person"] == "John Kerry"
    rows = {r["person"]: r for r in found["counterparts"]}
    assert set(rows) == {"Vladimir Putin", "Sergey Lavrov"}
    assert rows["Vladimir Putin"]["count"] == 4 and rows["Sergey Lavrov"]["count"] == 3
    assert (rows["Vladimir Putin"]["first"], rows["Vladimir Putin"]["last"]) == ("2016-03-24", "2016-03-25")
    assert {a["id"] for a in rows["Vladimir Putin"]["articles"]} == set(KERRY)
    putin = {r["person"]: r["count"] for r in client.get("/api/meetings?person=Putin").get_json()["counterparts"]}
    assert putin["John Kerry"] == 4 and putin["Mike Pompeo"] == 1
    later = client.get("/api/meetings?person=Putin&from=2017-01-01").get_json()["counterparts"]
    assert [r["person"] for r in later] == ["Mike Pompeo"]


@pytest.mark.parametrize("url, parameter", [
    ("/api/search?collapse=stories", "collapse"),
    ("/api/search?count=words", "count"),
    ("/api/search?collapse=event&collapse=duplicates", "collapse"),
    ("/api/meetings", "person"),
    ("/api/meetings?person=Kerry&collapse=event", "collapse"),
    ("/api/meetings?person=Kerry&from=yesterday", "from"),
    ("/api/events?count=many", "count"),
])
def test_bad_parameters(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter
