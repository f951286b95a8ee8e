"""One JSON error shape for every 4xx and 5xx."""
from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "request_too_large", 415: "unsupported_media_type",
         500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    """An error answered to the client as JSON."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None,
                 details: list | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.parameter, self.details, self.headers = parameter, details, headers or {}


def error_response(status: int, code: str, message: str, parameter: str | None = None,
                   details: list | None = None, headers: dict | None = None):
    """Return the JSON error body and status."""
    body = {"status": status, "code": code, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    if details is not None:
        body["details"] = details
    response = jsonify({"error": body})
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
        return error_response(500, "internal_error", "the server failed to answer; the error is logged")
