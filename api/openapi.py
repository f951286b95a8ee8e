"""Write api/openapi.json from the declared parameters and the response schemas.

Run `python -m chancery.api.openapi` after changing a parameter or a response shape; a test
checks that the committed document is what this produces and that it validates.
"""
from __future__ import annotations

import json
from pathlib import Path

from chancery.api import openapi_events
from chancery.api.params import (ARTICLE_PARAMS, EVENTS_PARAMS, FACET_PARAMS, MEETINGS_PARAMS, SEARCH_PARAMS,
                                 SIMILAR_PARAMS, Param, _bool, _date, _int)
from chancery import __version__

PATH = Path(__file__).with_name("openapi.json")
NULLABLE_STRING = {"type": "string", "nullable": True}
STRINGS = {"type": "array", "items": {"type": "string"}}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def parameter(param: Param) -> dict:
    scalars = {_int: {"type": "integer"}, _date: {"type": "string", "format": "date"},
               _bool: {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]}}
    scalar = {**scalars.get(param.type, {"type": "string"}), **(param.bounds or {})}
    schema = {"type": "array", "items": scalar} if param.repeatable else scalar
    spec = {"name": param.name, "in": "query", "required": False, "schema": schema,
            "description": param.description}
    if param.repeatable:
        spec.update(style="form", explode=True)
    return spec


def body_property(param: Param) -> dict:
    """Return a search parameter as a property of the POST body (a repeatable one: a string or a list)."""
    scalars = {_int: {"type": "integer"}, _date: {"type": "string", "format": "date"}}
    scalar = scalars.get(param.type, {"type": "string"})
    if param.repeatable:
        return {"oneOf": [scalar, {"type": "array", "items": scalar}], "description": param.description}
    return {**scalar, "description": param.description}


def path_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def ok(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema_name)}}}


# What the HTTP server itself may refuse in any request: a malformed one, a URL or header over its limits.
SERVER_REFUSALS = (400, 414, 431)


def errors(*statuses: int) -> dict:
    return {str(s): {"description": "An error", "content": {"application/json": {"schema": ref("Error")}}}
            for s in sorted({*statuses, *SERVER_REFUSALS})}


def obj(properties: dict, required: list[str] | None = None, extra: bool = False) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
            "additionalProperties": extra}


ARTICLE = {
    "id": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
    "source": NULLABLE_STRING, "url": NULLABLE_STRING, "published": {**NULLABLE_STRING, "format": "date"},
    "persons": STRINGS, "countries": STRINGS, "topics": STRINGS,
}

SCHEMAS = {
    "Error": obj({"error": obj({
        "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"},
        "parameter": {"type": "string"}, "details": {"type": "array", "items": {"type": "object"}},
    }, ["status", "code", "message"])}),
    "Article": obj(ARTICLE),
    "Span": obj({
        "field": {"type": "string", "enum": ["title", "body"]},
        "start": {"type": "integer", "description": "Character offset in that field's text."},
        "end": {"type": "integer", "description": "Character offset just past the span."},
        "text": {"type": "string"},
        "rule": {"type": "string", "description": "gazetteer, dateline, city, region, organisation, "
                 "strong:<cue>, weak:<cue>, context:<cue> ..."},
        "score": {"type": "number", "nullable": True, "description": "A topic cue's weight where it stands."},
    }),
    "Explain": obj({
        "persons": {"type": "object", "additionalProperties": {"type": "array", "items": ref("Span")}},
        "countries": {"type": "object", "additionalProperties": {"type": "array", "items": ref("Span")}},
        "topics": {"type": "object", "additionalProperties": obj({
            "label": {"type": "string"}, "score": {"type": "number", "nullable": True},
            "threshold": {"type": "number"}, "spans": {"type": "array", "items": ref("Span")}})},
    }),
    "ExplainedArticle": obj({**ARTICLE, "explain": ref("Explain")}, list(ARTICLE)),
    "Result": obj({
        "id": {"type": "string"}, "title": {"type": "string"}, "source": NULLABLE_STRING,
        "published": {**NULLABLE_STRING, "format": "date"}, "url": NULLABLE_STRING, "score": {"type": "number"},
        "snippet": {"type": "string", "description": "HTML: only <mark> is markup; all text is escaped."},
        "persons": STRINGS, "countries": STRINGS, "topics": STRINGS,
    }),
    "Bucket": obj({"value": {"type": "string"}, "count": {"type": "integer"}, "selected": {"type": "boolean"},
                   "label": {"type": "string"}}, ["value", "count", "selected"]),
    "MonthBucket": obj({"value": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                        "count": {"type": "integer"}}),
    "SearchResponse": obj({
        "query": obj({"q": {"type": "string"},
                      "filters": {"type": "object", "additionalProperties": STRINGS},
                      "sort": {"type": "string", "enum": ["relevance", "newest", "oldest"]},
                      "page": {"type": "integer"}, "per_page": {"type": "integer"}}),
        "total": {"type": "integer"}, "took_ms": {"type": "number"},
        "results": {"type": "array", "items": ref("Result")},
        "facets": obj({**{f: {"type": "array", "items": ref("Bucket")}
                          for f in ("person", "country", "topic", "source")},
                       "published": {"type": "array", "items": ref("MonthBucket")}}),
        "suggestion": NULLABLE_STRING,
    }),
    "Similar": obj({"id": {"type": "string"}, "results": {"type": "array", "items": ref("Result")}}),
    "FacetValues": obj({"facet": {"type": "string"}, "values": {"type": "array", "items": obj(
        {"value": {"type": "string"}, "count": {"type": "integer"}, "label": {"type": "string"}},
        ["value", "count"])}}),
    "Health": obj({"status": {"type": "string"}, "documents": {"type": "integer"},
                   "index_version": {"type": "integer"}}),
    "WriteResult": obj({"added": {"type": "integer"}, "replaced": {"type": "integer"}, "ids": STRINGS,
                        "index_version": {"type": "integer"}}),
    "Deleted": obj({"deleted": {"type": "string"}, "index_version": {"type": "integer"}}),
    "ArticleInput": obj({"id": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
                         "text": {"type": "string"}, "source": {"type": "string"}, "url": {"type": "string"},
                         "published": {"type": "string"}}, [], extra=True),
}
# Events and meetings: articles and results gain properties; their own schemas join.
SCHEMAS["Article"]["properties"].update(openapi_events.ARTICLE_PROPERTIES)
SCHEMAS["Article"]["required"] += list(openapi_events.ARTICLE_PROPERTIES)
SCHEMAS["ExplainedArticle"]["properties"].update(openapi_events.ARTICLE_PROPERTIES)
SCHEMAS["ExplainedArticle"]["required"] += list(openapi_events.ARTICLE_PROPERTIES)
SCHEMAS["Result"]["properties"].update(openapi_events.RESULT_PROPERTIES)
SCHEMAS.update(openapi_events.SCHEMAS)
SCHEMAS["EventsResponse"] = openapi_events.events_response(SCHEMAS["SearchResponse"])
ID = path_parameter("id", "Article id.")


def document() -> dict:
    """Return the OpenAPI 3 document of the API."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Chancery", "version": __version__,
                 "description": "Full-text search over diplomatic and international news."},
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked, faceted, highlighted search",
                    "parameters": [parameter(p) for p in SEARCH_PARAMS],
                    "responses": {"200": ok("SearchResponse", "Results, facets and a suggestion"),
                                  **errors(400)}},
                "post": {
                    "summary": "The same search with its parameters as a JSON body (for long queries)",
                    "requestBody": {"required": False, "content": {"application/json": {"schema": obj(
                        {p.name: body_property(p) for p in SEARCH_PARAMS}, [])}}},
                    "responses": {"200": ok("SearchResponse", "Results, facets and a suggestion"),
                                  **errors(400, 413)}}},
            "/api/articles": {"post": {
                "summary": "Add or replace articles (one object, a list, or JSON Lines); all or nothing",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"oneOf": [ref("ArticleInput"),
                                                              {"type": "array", "items": ref("ArticleInput")}]}},
                    "application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": {"200": ok("WriteResult", "Written and searchable"),
                              **errors(400, 401, 403, 413, 503, 507)}}},
            "/api/articles/{id}": {
                "get": {"summary": "One whole article with its entities (and, with explain=true, their evidence)",
                        "parameters": [ID] + [parameter(p) for p in ARTICLE_PARAMS],
                        "responses": {"200": ok("ExplainedArticle", "The article"), **errors(400, 404)}},
                "delete": {"summary": "Remove an article", "parameters": [ID], "security": [{"bearer": []}],
                           "responses": {"200": ok("Deleted", "Removed"), **errors(401, 403, 404, 503, 507)}}},
            "/api/articles/{id}/similar": {"get": {
                "summary": "The articles most like one", "parameters": [ID] + [parameter(p) for p in SIMILAR_PARAMS],
                "responses": {"200": ok("Similar", "Similar articles"), **errors(400, 404)}}},
            "/api/facets/{facet}": {"get": {
                "summary": "Facet values with counts over the whole corpus, for autocomplete",
                "parameters": [{**path_parameter("facet", "person, country, topic or source"),
                                "schema": {"type": "string", "enum": ["person", "country", "topic", "source"]}}]
                + [parameter(p) for p in FACET_PARAMS],
                "responses": {"200": ok("FacetValues", "Matching values"), **errors(400, 404)}}},
            **openapi_events.paths(parameter, ok, errors, EVENTS_PARAMS, MEETINGS_PARAMS),
            "/api/health": {"get": {"summary": "Status, document count and index version",
                                    "responses": {"200": ok("Health", "Healthy")}}},
            "/api/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": {"description": "OpenAPI 3 document",
                                                                "content": {"application/json": {}}}}}},
            "/": {"get": {"summary": "The search page",
                          "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
        },
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def render() -> str:
    """Return the document as the text committed in api/openapi.json."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
