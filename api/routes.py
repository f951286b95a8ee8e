"""The HTTP endpoints: validate input, call the search service, shape JSON."""
from __future__ import annotations

import hmac
import json

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory

from chancery.api import params
from chancery.api.errors import ApiError
from chancery.search import articles, evidence, indexer
from chancery.search.query import QueryError

bp = Blueprint("api", __name__)
OPENAPI = (Path(__file__).with_name("openapi.json")).read_text(encoding="utf-8")


def service():
    return current_app.extensions["chancery"]


@bp.get("/api/search")
def search():
    return _search(request.args)


@bp.post("/api/search")
def search_posted():
    params.read(request.args, [])     # the parameters go in the body, not the URL
    body = request.get_json(force=True, silent=True) if request.get_data() else {}
    if body is None:
        raise ApiError(400, "invalid_body", "the body is not JSON: send the search parameters as a JSON object")
    return _search(params.from_json(body))


def _search(args):
    """Answer a search from its parameters, however they were sent."""
    search_request = params.search_request(args)
    try:
        return jsonify(service().search(search_request))
    except QueryError as error:
        raise ApiError(400, "invalid_query" if error.parameter == "q" else "invalid_parameter",
                       str(error), parameter=error.parameter) from None


@bp.get("/api/articles/<doc_id>")
def article(doc_id):
    values = params.read(request.args, params.ARTICLE_PARAMS)
    found = service().article(doc_id)
    if found is None:
        raise ApiError(404, "not_found", f"no article with id {doc_id!r}")
    if values.get("explain"):
        found["explain"] = evidence.explain(found)
    return jsonify(found)


@bp.get("/api/articles/<doc_id>/similar")
def similar(doc_id):
    size = params.bounded(params.read(request.args, params.SIMILAR_PARAMS), params.SIMILAR_PARAMS, "size", 5)
    found = service().similar(doc_id, size)
    if found is None:
        raise ApiError(404, "not_found", f"no article with id {doc_id!r}")
    return jsonify({"id": doc_id, "results": found})


@bp.get("/api/facets/<facet>")
def facet_values(facet):
    values = params.read(request.args, params.FACET_PARAMS)
    size = params.bounded(values, params.FACET_PARAMS, "size", 10)
    try:
        buckets = service().facet_values(facet, values.get("prefix", ""), size)
    except QueryError as error:
        raise ApiError(404, "unknown_facet", str(error), parameter="facet") from None
    return jsonify({"facet": facet, "values": buckets})


@bp.get("/api/health")
def health():
    params.read(request.args, [])
    return jsonify(service().health())


@bp.get("/api/openapi.json")
def openapi():
    return Response(OPENAPI, mimetype="application/json")


@bp.get("/")
def page():
    return send_from_directory(current_app.static_folder, "index.html")


def require_token() -> None:
    """Refuse a write unless it carries the configured bearer token."""
    token = current_app.config["CHANCERY"]["api_token"]
    if not token:
        raise ApiError(403, "writes_disabled", "writes are disabled: the server has no CHANCERY_API_TOKEN")
    given = request.headers.get("Authorization", "")
    scheme, _, credential = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), token.encode()):
        raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <token>' with the API token",
                       headers={"WWW-Authenticate": 'Bearer realm="chancery"'})


def _records() -> list:
    """Return the posted records: one JSON object, a list, or JSON Lines."""
    text = request.get_data(as_text=True)
    if not text.strip():
        raise ApiError(400, "invalid_body", "the request body is empty: send a JSON object, a list or JSON Lines")
    try:
        document = articles.loads(text)
        return document if isinstance(document, list) else [document]
    except json.JSONDecodeError as error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise ApiError(400, "invalid_body", f"the body is not JSON: {error}") from None
    records, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(articles.loads(line))
            except json.JSONDecodeError as error:
                problems.append({"where": f"line {number}", "reason": f"invalid JSON: {error}"})
    if problems:
        raise ApiError(400, "invalid_body", "some JSON Lines are not JSON; nothing was written", details=problems)
    return records


@bp.post("/api/articles")
def add_articles():
    require_token()
    good, problems = [], []
    for number, record in enumerate(_records(), start=1):
        try:
            good.append(articles.from_record(record))
        except articles.ArticleError as error:
            problem = {"where": f"article {number}", "reason": str(error)}
            if error.field:
                problem["field"] = error.field
            problems.append(problem)
        except Exception as error:  # a fault no validation foresaw is still this record's
            failure = articles.unexpected(f"article {number}", error)
            problems.append({"where": failure.where, "reason": failure.reason})
    if problems:
        # A request is one transaction: all of it is written or none.
        raise ApiError(400, "invalid_article", "some articles are invalid; nothing was written", details=problems)
    result = _write(good)
    return jsonify({"added": result.added, "replaced": result.replaced, "ids": [a.id for a in good],
                    "index_version": result.version}), 200


@bp.delete("/api/articles/<doc_id>")
def delete_article(doc_id):
    require_token()
    result = _write(delete_ids=[doc_id])
    if not result.deleted:
        raise ApiError(404, "not_found", f"no article with id {doc_id!r}")
    return jsonify({"deleted": doc_id, "index_version": result.version})


def _write(good=(), delete_ids=()):
    try:
        return service().write(good, delete_ids)
    except indexer.IndexLocked:
        # Not the error's own text: it names the index folder, which is the server's business.
        raise ApiError(503, "index_busy", "the index is locked by another writer; nothing was written, "
                       "try again shortly", headers={"Retry-After": "1"}) from None
    except indexer.DiskFull as error:
        raise ApiError(507, "disk_full", error.strerror) from None
    except indexer.IndexReadOnly as error:
        raise ApiError(503, "index_read_only", error.strerror) from None
