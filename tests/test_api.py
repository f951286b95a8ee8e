"""The HTTP contract through Flask's test client, on a fresh index of the seeds."""
from __future__ import annotations

import io
import json

import pytest

from conftest import TOKEN, seed_ids

IDS = seed_ids()
S000, S001, S002, S003, S004 = (IDS[name] for name in sorted(IDS))
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def assert_error(response, status, code, parameter=None):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"]
    if parameter:
        assert error["parameter"] == parameter
    return error


def test_search_shape(client):
    body = client.get("/api/search?q=Lavrov&country=USA").get_json()
    assert body["query"] == {"q": "Lavrov", "filters": {"country": ["United States"]}, "sort": "relevance",
                             "page": 1, "per_page": 10}
    assert body["total"] == 4
    assert set(body["facets"]) == {"person", "country", "topic", "source", "published"}
    assert body["suggestion"] is None
    assert {"id", "title", "source", "published", "url", "score", "snippet", "persons", "countries",
            "topics"} == set(body["results"][0])


@pytest.mark.parametrize("query, expected", [
    ("person=Sergei+Lavrov", {S000, S001, S002, S003}),
    ("country=DPRK&country=Iran", {S004}),
    ("country=DPRK&country=Iran&country_op=or", {S001, S004}),
    ("country=DPRK&country=Iran&country_op=OR", {S001, S004}),
    ("topic=disasters", {S003}),
    ("source=Xinhua", {S001}),
    ("person=Nobody+Known", set()),
    ("from=2016-03-25", {S000, S001, S004}),
    ("from=2016-03-24&to=2016-03-24", {S002, S003}),
    ("q=%22bilateral+relations%22", {S001, S003}),
    ("q=Syria+-Kerry", {S004}),
    ("q=person:Lavrov+AND+country:Ukraine", {S001, S002, S003}),
])
def test_search_filters(client, query, expected):
    body = client.get(f"/api/search?{query}&per_page=100").get_json()
    assert {r["id"] for r in body["results"]} == expected
    assert body["total"] == len(expected)


def test_or_facet_counts(client):
    body = client.get("/api/search?country=Iran&country_op=or&topic=sanctions").get_json()
    counts = {b["value"]: (b["count"], b["selected"]) for b in body["facets"]["country"]}
    assert counts["Ukraine"] == (2, False)
    assert counts["Iran"] == (0, True)


def test_sorting_and_paging(client):
    newest = client.get("/api/search?sort=newest&per_page=2").get_json()
    assert newest["results"][0]["id"] == S004
    second = client.get("/api/search?sort=newest&per_page=2&page=2").get_json()
    third = client.get("/api/search?sort=newest&per_page=2&page=3").get_json()
    pages = [r["id"] for page in (newest, second, third) for r in page["results"]]
    assert sorted(pages) == sorted(IDS.values())
    assert client.get("/api/search?sort=oldest").get_json()["results"][0]["id"] in {S002, S003}


@pytest.mark.parametrize("query, code, parameter", [
    ("contry=Syria", "unknown_parameter", "contry"),
    ("per_page=0", "invalid_parameter", "per_page"),
    ("per_page=101", "invalid_parameter", "per_page"),
    ("per_page=ten", "invalid_parameter", "per_page"),
    ("page=0", "invalid_parameter", "page"),
    ("page=1001&per_page=10", "invalid_parameter", "page"),
    ("facet_size=500", "invalid_parameter", "facet_size"),
    ("sort=best", "invalid_parameter", "sort"),
    ("from=2016-13-01", "invalid_parameter", "from"),
    ("from=2017-01-01&to=2016-01-01", "invalid_parameter", "from"),
    ("country_op=xor", "invalid_parameter", "country_op"),
    ("q=a&q=b", "invalid_parameter", "q"),
    ("q=url:x", "invalid_query", "q"),
    ("q=Lavrov+author:smith", "invalid_query", "q"),
])
def test_search_errors(client, query, code, parameter):
    assert_error(client.get(f"/api/search?{query}"), 400, code, parameter)


@pytest.mark.parametrize("query", [
    'q="unclosed phrase', "q=AND", "q=(((", "q=NOT", "q=)", "q=*", "q=title:", "q=%00", "q=person:",
    "q=ünïcödé+Поделиться", "q=" + "a+" * 300,
])
def test_odd_queries_never_500(client, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code in (200, 400)
    assert response.mimetype == "application/json"


def test_suggestion(client):
    assert client.get("/api/search?q=Lavrof+sanctons").get_json()["suggestion"] == "lavrov sanctions"


def test_natural_language_query(client):
    q = "what did Lavrov and Kerry agree about the cessation of hostilities in Syria"
    body = client.get("/api/search", query_string={"q": q}).get_json()
    assert body["total"] == 5
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_article_and_similar(client):
    article = client.get(f"/api/articles/{S001}").get_json()
    assert article["title"].startswith("Roundup: Russia, U.S.")
    assert "Dmitry Suslov" in article["persons"]
    similar = client.get(f"/api/articles/{S001}/similar?size=2").get_json()
    assert len(similar["results"]) == 2 and S001 not in [r["id"] for r in similar["results"]]
    assert_error(client.get("/api/articles/nope"), 404, "not_found")
    assert_error(client.get("/api/articles/nope/similar"), 404, "not_found")
    assert_error(client.get(f"/api/articles/{S001}/similar?size=0"), 400, "invalid_parameter", "size")


@pytest.mark.parametrize("article_id", [S000, S001, S002, S003, S004])
def test_explain_gives_spans_for_every_facet_value(client, article_id):
    article = client.get(f"/api/articles/{article_id}?explain=true").get_json()
    explain = article["explain"]
    assert list(explain["persons"]) == article["persons"]
    assert list(explain["countries"]) == article["countries"]
    assert list(explain["topics"]) == article["topics"]
    for key in ("persons", "countries"):
        for value, spans in explain[key].items():
            assert spans, f"{value} has no evidence"
            for span in spans:
                assert article[span["field"]][span["start"]:span["end"]] == span["text"]
    for slug, why in explain["topics"].items():
        assert why["score"] >= why["threshold"] and why["spans"], slug
        assert all(span["rule"].split(":")[0] in ("strong", "weak", "context") for span in why["spans"])


@pytest.mark.parametrize("query, explained", [("", False), ("?explain=false", False), ("?explain=0", False),
                                              ("?explain=true", True), ("?explain=1", True)])
def test_explain_is_asked_for(client, query, explained):
    assert ("explain" in client.get(f"/api/articles/{S001}{query}").get_json()) == explained


@pytest.mark.parametrize("query, code", [("?explain=maybe", "invalid_parameter"),
                                         ("?explain=true&explain=true", "invalid_parameter"),
                                         ("?explains=true", "unknown_parameter")])
def test_explain_errors(client, query, code):
    parameter = "explains" if "explains" in query else "explain"
    assert_error(client.get(f"/api/articles/{S001}{query}"), 400, code, parameter)


@pytest.mark.parametrize("url, values", [
    ("/api/facets/person?prefix=lav", ["Sergey Lavrov"]),
    ("/api/facets/person?prefix=Sergei", ["Sergey Lavrov"]),
    ("/api/facets/country?prefix=usa", ["United States"]),
    ("/api/facets/country?size=2", ["Russia", "Syria"]),
    ("/api/facets/topic?prefix=arms", ["arms-control"]),
])
def test_facet_autocomplete(client, url, values):
    assert [v["value"] for v in client.get(url).get_json()["values"]] == values


def test_facet_errors(client):
    assert_error(client.get("/api/facets/colour"), 404, "unknown_facet")
    assert_error(client.get("/api/facets/person?size=0"), 400, "invalid_parameter", "size")
    assert_error(client.get("/api/facets/person?prefx=a"), 400, "unknown_parameter", "prefx")


def test_health(client):
    assert client.get("/api/health").get_json() == {"status": "ok", "documents": 5, "index_version": 1}


XSS = {"id": "xss", "title": "Lavrov <script>alert(1)</script> talks",
       "body": "Lavrov spoke. <img src=x onerror=alert(1)> The <script>alert(1)</script> end."}


def test_script_in_articles_is_inert_in_snippets(client):
    assert client.post("/api/articles", json=XSS, headers=AUTH).status_code == 200
    result = client.get("/api/search?q=onerror+script+Lavrov").get_json()["results"][0]
    assert result["id"] == "xss"
    assert "<script>" not in result["snippet"] and "<img" not in result["snippet"]
    assert "&lt;img src=x <mark>onerror</mark>=alert(1)&gt;" in result["snippet"]
    assert result["snippet"].replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert result["title"] == XSS["title"]
    assert client.get("/api/articles/xss").get_json()["body"] == XSS["body"]


def test_write_cycle(client):
    record = {"id": "w1", "title": "Zanzibar summit opens", "body": "Envoys met in Zanzibar on Monday."}
    response = client.post("/api/articles", json=record, headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["added"] == 1
    assert client.get("/api/search?q=Zanzibar").get_json()["total"] == 1
    assert client.post("/api/articles", json=[record], headers=AUTH).get_json()["replaced"] == 1
    assert client.delete("/api/articles/w1", headers=AUTH).get_json()["deleted"] == "w1"
    assert client.get("/api/search?q=Zanzibar").get_json()["total"] == 0
    assert_error(client.delete("/api/articles/w1", headers=AUTH), 404, "not_found")


def test_json_lines_body(client):
    lines = "\n".join(json.dumps({"id": f"l{i}", "title": f"Line article {i} here", "body": "Zanzibar."})
                      for i in range(3))
    response = client.post("/api/articles", data=lines, headers={**AUTH, "Content-Type": "application/x-ndjson"})
    assert response.get_json()["ids"] == ["l0", "l1", "l2"]


@pytest.mark.parametrize("data, code", [
    ("", "invalid_body"),
    ("{oops", "invalid_body"),
    ('{"id": "a", "title": "T", "body": "x"}\n{oops', "invalid_body"),
    ('[{"id": "a", "title": "Good title", "body": "x"}, {"id": "b"}]', "invalid_article"),
    ('"just a string"', "invalid_article"),
])
def test_bad_posts_write_nothing(client, data, code):
    response = client.post("/api/articles", data=data, headers={**AUTH, "Content-Type": "application/json"})
    assert_error(response, 400, code)
    assert client.get("/api/health").get_json()["documents"] == 5


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "unauthorized"),
    ({"Authorization": "Bearer wrong"}, 401, "unauthorized"),
    ({"Authorization": f"Basic {TOKEN}"}, 401, "unauthorized"),
])
def test_writes_need_the_token(client, headers, status, code):
    post = client.post("/api/articles", json={"title": "A title here", "body": "x"}, headers=headers)
    assert_error(post, status, code)
    assert post.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.delete(f"/api/articles/{S001}", headers=headers), status, code)
    assert client.get("/api/health").get_json()["documents"] == 5


def test_writes_are_refused_without_a_configured_token(index_dir):
    from chancery.api import create_app
    client = create_app({"index_dir": str(index_dir)}).test_client()
    assert_error(client.post("/api/articles", json={}, headers=AUTH), 403, "writes_disabled")
    assert_error(client.delete(f"/api/articles/{S001}", headers=AUTH), 403, "writes_disabled")


def jsonl(count: int) -> bytes:
    """JSON Lines of distinct dated articles, each 100 bytes with its newline."""
    lines = [json.dumps({"id": f"n{n:03}", "title": f"Note {n:03} on talks", "body": "Envoys met.",
                         "published": "2020-01-01"}) for n in range(count)]
    return "".join(line.ljust(99) + "\n" for line in lines).encode()


@pytest.mark.parametrize("size, status", [(1000, 200), (1100, 413), (2000, 413)])
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "no-length"])
def test_a_body_over_the_limit_is_refused_whole(index_dir, size, status, streamed):
    from chancery.api import create_app
    client = create_app({"index_dir": str(index_dir), "api_token": TOKEN, "max_request_bytes": 1000}).test_client()
    body = jsonl(size // 100)
    # Without a length the server reads the body until it ends, as for a chunked one.
    sent = {"input_stream": io.BytesIO(body)} if streamed else {"data": body}
    response = client.post("/api/articles", headers=AUTH, content_type="application/x-ndjson", **sent)
    if status == 413:
        assert "1000 bytes" in assert_error(response, 413, "request_too_large")["message"]
    else:
        assert response.status_code == 200 and response.get_json()["added"] == size // 100
    assert client.get("/api/health").get_json()["documents"] == 5 + (size // 100 if status == 200 else 0)


class Stalled(io.RawIOBase):
    """A request body that stops arriving: its read times out, as a socket with a timeout does."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise TimeoutError("timed out")


def test_a_body_that_stops_arriving_is_a_408_with_nothing_written(client):
    # As gunicorn passes a chunked body: a stream it ends itself, with no length.
    response = client.post("/api/articles", headers=AUTH, content_type="application/json", environ_overrides={
        "wsgi.input": io.BufferedReader(Stalled()), "wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert "nothing was written" in assert_error(response, 408, "request_timeout")["message"]
    assert client.get("/api/health").get_json()["documents"] == 5


def test_second_writer_gets_503(client, index_dir):
    from chancery.search import indexer
    held = indexer.open_index(index_dir).writer()
    try:
        client.application.extensions["chancery"].lock_timeout = 0.2
        response = client.post("/api/articles", json={"title": "A title here", "body": "x"}, headers=AUTH)
        message = assert_error(response, 503, "index_busy")["message"]
        assert "the index" in message and str(index_dir) not in message and "/" not in message
        assert response.headers["Retry-After"] == "1"
    finally:
        held.cancel()


@pytest.mark.parametrize("method, url, status, code", [
    ("get", "/api/nothing", 404, "not_found"),
    ("put", "/api/search", 405, "method_not_allowed"),
    ("delete", "/api/health", 405, "method_not_allowed"),
    ("patch", "/api/articles/x", 405, "method_not_allowed"),
    ("get", "/api/articles/x/nothing", 404, "not_found"),
    ("post", "/api/openapi.json", 405, "method_not_allowed"),
])
def test_every_error_is_json(client, method, url, status, code):
    assert_error(getattr(client, method)(url), status, code)


@pytest.mark.parametrize("url", ["/api/health", "/api/openapi.json", f"/api/articles/{S001}"])
def test_unknown_parameters_everywhere(client, url):
    if url.endswith(".json"):
        return
    assert_error(client.get(f"{url}?x=1"), 400, "unknown_parameter", "x")


def test_unexpected_errors_are_json_500(client, monkeypatch):
    service = client.application.extensions["chancery"]
    monkeypatch.setattr(service, "health", lambda: 1 / 0)
    client.application.testing = False
    assert_error(client.get("/api/health"), 500, "internal_error")


def test_cors_only_for_configured_origins(index_dir):
    from chancery.api import create_app
    client = create_app({"index_dir": str(index_dir), "cors_origins": "https://desk.example"}).test_client()
    allowed = client.get("/api/health", headers={"Origin": "https://desk.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://desk.example"
    other = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    closed = create_app({"index_dir": str(index_dir)}).test_client()
    response = closed.get("/api/health", headers={"Origin": "https://desk.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_page_is_served_with_a_strict_policy(client):
    response = client.get("/")
    response.close()
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("body, query", [
    ({"q": "Lavrov", "country": "USA"}, "q=Lavrov&country=USA"),
    ({"q": "Kerry", "country": ["DPRK", "Iran"], "country_op": "or", "per_page": 2},
     "q=Kerry&country=DPRK&country=Iran&country_op=or&per_page=2"),
    ({"sort": "oldest", "page": "2", "per_page": 2}, "sort=oldest&page=2&per_page=2"),
    ({"from": "2016-03-25", "to": "2019-12-31"}, "from=2016-03-25&to=2019-12-31"),
    ({}, ""),
])
def test_post_search_answers_as_get_does(client, body, query):
    posted, got = client.post("/api/search", json=body), client.get(f"/api/search?{query}")
    assert posted.status_code == got.status_code == 200
    strip = lambda b: {k: v for k, v in b.get_json().items() if k != "took_ms"}  # noqa: E731
    assert strip(posted) == strip(got)


@pytest.mark.parametrize("body, status, code, parameter", [
    ({"q": "Lavrov", "contry": "Syria"}, 400, "unknown_parameter", "contry"),
    ({"per_page": 0}, 400, "invalid_parameter", "per_page"),
    ({"per_page": "ten"}, 400, "invalid_parameter", "per_page"),
    ({"q": ["a", "b"]}, 400, "invalid_parameter", "q"),
    ({"q": {"nested": 1}}, 400, "invalid_parameter", "q"),
    ({"per_page": True}, 400, "invalid_parameter", "per_page"),
    ({"from": "yesterday"}, 400, "invalid_parameter", "from"),
    ({"q": "url:x"}, 400, "invalid_query", "q"),
    (["q", "Lavrov"], 400, "invalid_body", None),
    ("not json at all", 400, "invalid_body", None),
])
def test_post_search_refuses_what_get_refuses(client, body, status, code, parameter):
    if isinstance(body, str):
        response = client.post("/api/search", data=body, content_type="application/json")
    else:
        response = client.post("/api/search", json=body)
    assert_error(response, status, code, parameter)


def test_post_search_takes_no_url_parameters(client):
    assert_error(client.post("/api/search?q=Lavrov", json={}), 400, "unknown_parameter", "q")


@pytest.mark.parametrize("q, expected", [
    ("anti-Russia sanctions", {S001, S002}),
    ("U.S.-Russia talks", {S000, S001, S002, S003, S004}),
    ("Who met Lavrov?", {S000, S001, S002, S003}),
    ("(talks on free-trade areas)", {S000, S001, S002, S003, S004}),
    ('Lavrov "Kerry', {S000, S001, S002, S003}),
    ("Kerry: Geneva!", {S000, S001, S002, S003}),
    ("\U0001f1f7\U0001f1fa sanctions \U0001f600", {S001, S002}),
])
def test_typed_text_is_searched(client, q, expected):
    for response in (client.get("/api/search", query_string={"q": q, "per_page": 100}),
                     client.post("/api/search", json={"q": q, "per_page": 100})):
        assert response.status_code == 200
        assert expected <= {r["id"] for r in response.get_json()["results"]}


@pytest.mark.parametrize("q", ["the of and", "?!", "...", "\u2014"])
def test_text_with_no_searchable_word_finds_nothing(client, q):
    response = client.post("/api/search", json={"q": q})
    assert response.status_code == 200 and response.get_json()["total"] == 0


def test_a_pasted_page_of_twenty_thousand_characters(client):
    paragraph = ("Envoys from both capitals said on Tuesday that the ceasefire was holding and that "
                 "humanitarian convoys could reach the besieged towns. ")
    text = (paragraph * 200)[:20_000]
    response = client.post("/api/search", json={"q": text})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] > 0 and body["query"]["q"] == text


@pytest.mark.parametrize("record, field", [
    ({"title": "A title here", "body": "Some text.", "url": 5}, "url"),
    ({"title": "A title here", "body": "Some text.", "source": ["Xinhua"]}, "source"),
    ({"id": {"a": 1}, "title": "A title here", "body": "Some text."}, "id"),
    ({"title": "A title here", "body": "Some text.", "published": True}, "published"),
])
def test_wrong_field_types_are_400_naming_record_and_field(client, record, field):
    good = {"id": "fine", "title": "A fine title", "body": "Lavrov spoke."}
    error = assert_error(client.post("/api/articles", json=[good, record], headers=AUTH), 400, "invalid_article")
    assert error["details"] == [{"where": "article 2", "field": field, "reason": error["details"][0]["reason"]}]
    assert f"{field} must be a string" in error["details"][0]["reason"]
    assert client.get("/api/health").get_json()["documents"] == 5


def test_deeply_nested_json_is_400(client):
    data = "[" * 5000 + "]" * 5000
    response = client.post("/api/articles", data=data, headers={**AUTH, "Content-Type": "application/json"})
    assert "nested too deeply" in assert_error(response, 400, "invalid_body")["message"]


@pytest.mark.parametrize("body", [
    '{"id": "s1", "title": "Cut scraped text", "body": "a \\ud800 b Lavrov"}',
    json.dumps({"id": "s1", "title": "One word many times", "body": "sanctions " * 140_000}),
])
def test_hostile_text_is_indexed_after_cleaning(client, body):
    response = client.post("/api/articles", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_json()
    found = client.get("/api/articles/s1").get_json()
    assert "\ud800" not in found["body"]
    assert client.get("/api/search?q=sanctions+OR+Lavrov").status_code == 200


def test_undated_article_keeps_reads_up(client):
    record = {"id": "u1", "title": "An undated note on talks", "body": "Lavrov met Blinken in Geneva."}
    assert client.post("/api/articles", json=record, headers=AUTH).status_code == 200
    for url in ["/api/health", "/api/search?q=talks", "/api/facets/person", "/api/articles/u1",
                "/api/search?sort=oldest", "/api/articles/u1/similar"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/articles/u1").get_json()["published"] is None


def test_empty_index_serves_and_fills_through_post(tmp_path):
    from chancery.api import create_app
    client = create_app({"index_dir": str(tmp_path / "new"), "api_token": TOKEN}).test_client()
    assert client.get("/api/health").get_json()["documents"] == 0
    assert client.get("/api/search?q=talks").get_json()["total"] == 0
    assert client.get("/api/facets/country").get_json()["values"] == []
    assert_error(client.get("/api/articles/x"), 404, "not_found")
    record = {"id": "n1", "title": "A first note on talks", "body": "Lavrov met Blinken."}
    assert client.post("/api/articles", json=record, headers=AUTH).status_code == 200
    assert client.get("/api/search?q=talks").get_json()["total"] == 1


@pytest.mark.parametrize("method, url, body, status", [
    ("post", "/api/articles", [], 200),
    ("delete", "/api/articles/no-such-id", None, 404),
])
def test_no_op_writes_keep_the_index_version(client, method, url, body, status):
    before = client.get("/api/health").get_json()["index_version"]
    response = getattr(client, method)(url, json=body, headers=AUTH) if body is not None else \
        getattr(client, method)(url, headers=AUTH)
    assert response.status_code == status
    assert client.get("/api/health").get_json()["index_version"] == before
