"""One JSON error shape for every 4xx and 5xx."""
from __future__ import annotations

from http import HTTPStatus

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 408: "request_timeout", 413: "request_too_large", 414: "uri_too_long",
         415: "unsupported_media_type", 417: "expectation_failed", 431: "header_fields_too_large",
         500: "internal_error", 501: "not_implemented", 503: "unavailable"}
INTERNAL_MESSAGE = "the server failed to answer; the error is logged"


def too_large_message(limit: int) -> str:
    """Return the message of a 413: the limit, and that nothing was written."""
    return f"the request body is over the limit of {limit} bytes (CHANCERY_MAX_REQUEST_BYTES); nothing was written"


class ApiError(Exception):
    """An error answered to the client as JSON."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None,
                 details: list | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.parameter, self.details, self.headers = parameter, details, headers or {}


def reason(status: int) -> str:
    """Return the standard reason phrase of a status."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, code: str, message: str, parameter: str | None = None,
               details: list | None = None) -> dict:
    """Return the error object of the one JSON error shape."""
    body = {"status": status, "code": code, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    if details is not None:
        body["details"] = details
    return body


def error_response(status: int, code: str, message: str, parameter: str | None = None,
                   details: list | None = None, headers: dict | None = None):
    """Return the JSON error body and status."""
    response = jsonify({"error": error_body(status, code, message, parameter, details)})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def register(app: Flask) -> None:
    """Answer every error, ours or Werkzeug's or unexpected, in the one shape."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, error.parameter, error.details,
                              error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        headers = dict(error.get_response().headers)
        headers.pop("Content-Type", None)
        headers.pop("Content-Length", None)
        return error_response(status, CODES.get(status, "http_error"), error.description or error.name,
                              headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unexpected error")
        return error_response(500, "internal_error", INTERNAL_MESSAGE)
