"""The OpenAPI document: valid, current, and true of real responses."""
from __future__ import annotations

import json

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder

from chancery.api import openapi
from chancery.search import events
from chancery.api.params import SEARCH_PARAMS
from conftest import TOKEN, seed_ids

S001 = seed_ids()["001_224ac308bebe3a85.txt"]
# An event's id derives from its first article's id; the seeds are indexed in file order.
KERRY_EVENT = events.event_id(seed_ids()["000_e39298b12db851d7.txt"])
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_served_document_is_valid_and_current(client):
    served = client.get("/api/openapi.json").get_json()
    validate(served)
    assert served == json.loads(openapi.render()), "run: python -m chancery.api.openapi"


def test_every_search_parameter_is_documented(client):
    served = client.get("/api/openapi.json").get_json()
    documented = {p["name"] for p in served["paths"]["/api/search"]["get"]["parameters"]}
    assert documented == {p.name for p in SEARCH_PARAMS}
    body = served["paths"]["/api/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {p.name for p in SEARCH_PARAMS}


REQUESTS = [
    ("get", "/api/search?q=Lavrov&country=USA&country=Syria&country_op=or&from=2016-01-01", None),
    ("get", "/api/search", None),
    ("get", "/api/search?per_page=0", None),
    ("get", "/api/search?contry=Syria", None),
    ("post", "/api/search", {"q": "anti-Russia sanctions", "country": ["USA", "Syria"], "per_page": 5}),
    ("post", "/api/search", {"q": "Lavrov", "person": "Sergei Lavrov", "from": "2016-01-01"}),
    ("post", "/api/search", {"contry": "Syria"}),
    ("get", f"/api/articles/{S001}", None),
    ("get", f"/api/articles/{S001}?explain=true", None),
    ("get", f"/api/articles/{S001}?explain=maybe", None),
    ("get", "/api/articles/nope", None),
    ("get", f"/api/articles/{S001}/similar?size=3", None),
    ("get", "/api/facets/person?prefix=lav&size=5", None),
    ("get", "/api/facets/topic", None),
    ("get", "/api/health", None),
    ("get", "/api/search?collapse=event&count=events", None),
    ("get", "/api/search?collapse=duplicates&person=Kerry&met=Lavrov", None),
    ("get", "/api/search?collapse=stories", None),
    ("get", "/api/events?q=Putin&country=Russia", None),
    ("get", f"/api/events/{KERRY_EVENT}", None),
    ("get", "/api/events/ev-unknown", None),
    ("get", "/api/meetings?person=John%20Kerry&from=2016-01-01", None),
    ("get", "/api/meetings", None),
    ("post", "/api/articles", {"id": "n1", "title": "New article title", "body": "Body text."}),
    ("post", "/api/articles", {"title": "T"}),
    ("delete", f"/api/articles/{S001}", None),
    ("delete", "/api/articles/nope", None),
]


@pytest.mark.parametrize("method, url, body", REQUESTS)
def test_real_responses_match_the_document(client, method, url, body):
    spec = OpenAPI.from_dict(client.get("/api/openapi.json").get_json())
    kwargs = {"headers": AUTH}
    if body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code < 500
    # A fresh copy of the request: the app has consumed the original's body.
    request = EnvironBuilder(method=method.upper(), path=url, **kwargs).get_request()
    spec.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
