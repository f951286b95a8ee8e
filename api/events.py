"""The HTTP endpoints of events and meetings: /api/events, /api/events/<id>, /api/meetings."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from chancery.api import params
from chancery.api.errors import ApiError
from chancery.api.routes import service
from chancery.search import event_store
from chancery.search.query import QueryError

bp = Blueprint("events", __name__)


def _run(call, *args):
    try:
        return call(*args)
    except QueryError as error:
        raise ApiError(400, "invalid_query" if error.parameter == "q" else "invalid_parameter",
                       str(error), parameter=error.parameter) from None


@bp.get("/api/events")
def search_events():
    search_request = params.search_request(request.args, params.EVENTS_PARAMS, collapse="event")
    return jsonify(_run(event_store.search_events, service(), search_request))


@bp.get("/api/events/<event_id>")
def event(event_id):
    params.read(request.args, [])
    found = event_store.describe(service().snapshot(), event_id)
    if found is None:
        raise ApiError(404, "not_found", f"no event with id {event_id!r}")
    return jsonify(found)


@bp.get("/api/meetings")
def meetings():
    person = (request.args.get("person") or "").strip()
    if not person:
        raise ApiError(400, "invalid_parameter", "person is required: whose meetings to list", parameter="person")
    search_request = params.search_request(request.args, params.MEETINGS_PARAMS, filters={})
    filters = {f: [v for v in request.args.getlist(f) if v.strip()] for f in ("country", "topic", "source")}
    search_request.filters = {f: v for f, v in filters.items() if v}
    return jsonify(_run(event_store.person_meetings, service(), search_request, person))
