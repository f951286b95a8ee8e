"""Read and validate query parameters: declared once, unknown ones refused."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from werkzeug.datastructures import MultiDict

from chancery.api.errors import ApiError
from chancery.search import schema
from chancery.search.query import QueryError
from chancery.search.searcher import COLLAPSES, COUNTS, MAX_FACET_SIZE, MAX_PER_PAGE, OPS, SORTS, SearchRequest


@dataclass(frozen=True)
class Param:
    name: str
    type: Callable[[str], Any] = str
    repeatable: bool = False
    description: str = ""
    bounds: dict | None = None      # JSON Schema bounds of a value, for the OpenAPI document


def _range(low: int, high: int | None = None) -> dict:
    return {"minimum": low} if high is None else {"minimum": low, "maximum": high}


def _int(text: str) -> int:
    return int(text)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _bool(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in words:
        raise ValueError(text)
    return words[text.lower()]


SEARCH_PARAMS = [
    Param("q", description="Query text; empty means all articles. Operators only where meant; any other "
                           "text is words. Past 20,000 characters the rest is not read."),
    *[Param(f, repeatable=True, description=f"Filter on {f}; any alias; repeatable.") for f in schema.FACETS],
    *[Param(f"{f}_op", description=f"'and' (default) or 'or' for the {f} filter.",
            bounds={"enum": list(OPS)}) for f in schema.FACETS],
    Param("from", _date, description="Inclusive ISO start date on published."),
    Param("to", _date, description="Inclusive ISO end date on published."),
    Param("sort", description="relevance (default with q), newest (default without q) or oldest.",
          bounds={"enum": list(SORTS)}),
    Param("page", _int, description="1-based page.", bounds=_range(1)),
    Param("per_page", _int, description="Results per page, 1-100, default 10.", bounds=_range(1, MAX_PER_PAGE)),
    Param("facet_size", _int, description="Values per facet, 1-100, default 10.", bounds=_range(1, MAX_FACET_SIZE)),
    # Events and meetings (search.events, search.meetings).
    Param("collapse", description="event: one result per event; duplicates: one per group of near-copies.",
          bounds={"enum": list(COLLAPSES)}),
    Param("count", description="articles (default) or events: what facet counts count.",
          bounds={"enum": list(COUNTS)}),
    Param("met", repeatable=True,
          description="Articles where this person met the person filter's people (or anyone); any alias; repeatable."),
]
EVENTS_PARAMS = [p for p in SEARCH_PARAMS if p.name != "collapse"]
MEETINGS_PARAMS = [Param("person", description="The person whose meetings are listed; any alias; required."),
                   *[p for p in SEARCH_PARAMS if p.name in ("q", "country", "topic", "source", "country_op",
                                                            "topic_op", "source_op", "from", "to")]]
ARTICLE_PARAMS = [Param("explain", _bool, description="true: add the evidence (spans, rules, scores) behind "
                        "each person, country and topic.")]
SIMILAR_PARAMS = [Param("size", _int, description="Articles returned, 1-50, default 5.", bounds=_range(1, 50))]
FACET_PARAMS = [Param("prefix", description="Alias-aware prefix of a value's words."),
                Param("size", _int, description="Values returned, 1-100, default 10.", bounds=_range(1, 100))]


def read(args: MultiDict, params: list[Param]) -> dict[str, Any]:
    """Return typed values of the declared parameters; refuse unknown or malformed ones."""
    declared = {p.name: p for p in params}
    unknown = [name for name in args if name not in declared]
    if unknown:
        allowed = ", ".join(declared) or "none"
        raise ApiError(400, "unknown_parameter", f"unknown parameter {', '.join(map(repr, unknown))}; "
                       f"allowed: {allowed}", parameter=unknown[0])
    values: dict[str, Any] = {}
    for name, param in declared.items():
        raw = args.getlist(name)
        if not raw:
            continue
        if len(raw) > 1 and not param.repeatable:
            raise ApiError(400, "invalid_parameter", f"{name} may be given only once", parameter=name)
        try:
            typed = [param.type(value) for value in raw]
        except ValueError:
            kinds = {_int: "a whole number", _date: "an ISO date (YYYY-MM-DD)", _bool: "true or false"}
            kind = kinds.get(param.type, "valid")
            raise ApiError(400, "invalid_parameter", f"{name} must be {kind}", parameter=name) from None
        values[name] = typed if param.repeatable else typed[0]
    return values


def search_request(args: MultiDict, declared: list[Param] = SEARCH_PARAMS, **fixed) -> SearchRequest:
    """Build a validated SearchRequest from query parameters (fixed values override them)."""
    values = read(args, declared)
    q = values.get("q", "")
    request = SearchRequest(
        q=q,
        filters={f: [v for v in values.get(f, []) if v.strip()] for f in schema.FACETS if values.get(f)},
        ops={f: values[f"{f}_op"].lower() for f in schema.FACETS if f"{f}_op" in values},
        date_from=values.get("from"), date_to=values.get("to"), sort=values.get("sort"),
        page=values.get("page", 1), per_page=values.get("per_page", 10), facet_size=values.get("facet_size", 10),
        collapse=values.get("collapse"), count=values.get("count", "articles"),
        met=[v for v in values.get("met", []) if v.strip()],
    )
    for name, value in fixed.items():
        setattr(request, name, value)
    try:
        request.validate()
    except QueryError as error:
        raise ApiError(400, "invalid_parameter", str(error), parameter=error.parameter) from None
    return request


def from_json(body: Any) -> MultiDict:
    """Return a JSON body's parameters as query parameters (a list is a repeated one)."""
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "send the search parameters as one JSON object, e.g. {\"q\": \"...\"}")
    args = MultiDict()
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise ApiError(400, "invalid_parameter", f"{name} must be a string or a whole number",
                               parameter=name)
            args.add(name, str(item))
    return args


def bounded(values: dict, declared: list[Param], name: str, default: int) -> int:
    """Return an integer parameter within its declared bounds, or refuse it."""
    bounds = next(p.bounds for p in declared if p.name == name)
    low, high = bounds["minimum"], bounds["maximum"]
    value = values.get(name, default)
    if not low <= value <= high:
        raise ApiError(400, "invalid_parameter", f"{name} must be between {low} and {high}", parameter=name)
    return value
