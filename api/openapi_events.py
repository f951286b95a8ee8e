"""The OpenAPI parts of events and meetings, merged into api/openapi.json by api.openapi."""
from __future__ import annotations

NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}
NULLABLE_STRING = {"type": "string", "nullable": True}
STRINGS = {"type": "array", "items": {"type": "string"}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties) if required is None
            else required, "additionalProperties": False}


MEETING = _obj({"persons": {**STRINGS, "minItems": 2, "maxItems": 2}, "date": NULLABLE_DATE,
                "place": NULLABLE_STRING})
EVENT_SUMMARY = _obj({"id": {"type": "string"}, "size": {"type": "integer"}, "sources": STRINGS,
                      "first": NULLABLE_DATE, "last": NULLABLE_DATE})
# Properties that articles and results gain.
ARTICLE_PROPERTIES = {"event": NULLABLE_STRING, "meetings": {"type": "array", "items": _ref("Meeting")}}
RESULT_PROPERTIES = {"event": _ref("EventSummary"),
                     "copies": {"type": "integer", "description": "With collapse=duplicates: copies it stands for."}}
SCHEMAS = {
    "Meeting": MEETING,
    "EventSummary": {**EVENT_SUMMARY, "nullable": True},
    "Event": _obj({
        "id": {"type": "string"}, "label": {"type": "string"}, "size": {"type": "integer"},
        "first": NULLABLE_DATE, "last": NULLABLE_DATE,
        "dates": {"type": "array", "items": NULLABLE_DATE, "minItems": 2, "maxItems": 2,
                  "description": "The happening's span: publication dates and the days the articles give."},
        "sources": STRINGS, "persons": STRINGS, "countries": STRINGS, "topics": STRINGS,
        "articles": {"type": "array", "items": _obj({
            "id": {"type": "string"}, "title": {"type": "string"}, "source": NULLABLE_STRING,
            "published": NULLABLE_DATE, "url": NULLABLE_STRING, "dup": NULLABLE_STRING})}}),
    "EventHit": _obj({**EVENT_SUMMARY["properties"], "label": {"type": "string"}, "article": _ref("Result")},
                     ["label", "article"]),
    "Counterpart": _obj({
        "person": {"type": "string"}, "count": {"type": "integer"}, "first": NULLABLE_DATE, "last": NULLABLE_DATE,
        "places": STRINGS, "articles": {"type": "array", "items": _obj({
            "id": {"type": "string"}, "title": {"type": "string"}, "date": NULLABLE_DATE,
            "place": NULLABLE_STRING})}}),
    "Meetings": _obj({"person": {"type": "string"}, "total": {"type": "integer"},
                      "counterparts": {"type": "array", "items": _ref("Counterpart")}}),
}


def events_response(search_response: dict) -> dict:
    """Return the schema of GET /api/events: a search response with events instead of results."""
    properties = {k: v for k, v in search_response["properties"].items() if k != "results"}
    properties["events"] = {"type": "array", "items": _ref("EventHit")}
    return {**search_response, "properties": properties, "required": list(properties)}


def paths(parameter, ok, errors, events_params, meetings_params) -> dict:
    """Return the paths of events and meetings."""
    return {
        "/api/events": {"get": {
            "summary": "Search events: the search parameters, one hit per event with its label and best article",
            "parameters": [parameter(p) for p in events_params],
            "responses": {"200": ok("EventsResponse", "Events, facets and a suggestion"), **errors(400)}}},
        "/api/events/{id}": {"get": {
            "summary": "One event with its articles in time order",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "Event id."}],
            "responses": {"200": ok("Event", "The event"), **errors(400, 404)}}},
        "/api/meetings": {"get": {
            "summary": "Whom a person met: counterparts with counts, first and last dates and the articles",
            "parameters": [parameter(p) for p in meetings_params],
            "responses": {"200": ok("Meetings", "The person's counterparts"), **errors(400)}}},
    }
