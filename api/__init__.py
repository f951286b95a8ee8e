"""Chancery's HTTP layer: the Flask app, its routes, errors, OpenAPI and the search page."""
from __future__ import annotations

import os

from flask import Flask
from flask_cors import CORS

from chancery import settings
from chancery.search.searcher import Service

# The page may load only its own scripts, styles and API: no inline script.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def create_app(config: dict | None = None) -> Flask:
    """Create the app; config overrides settings from the environment and defaults."""
    from chancery.api import body, errors, events, routes

    values = settings.resolve(config or {})
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.request_class = body.Request
    app.config["CHANCERY"] = values
    app.config["MAX_CONTENT_LENGTH"] = values["max_request_bytes"]
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["chancery"] = Service(values["index_dir"], values["lock_timeout"], values["cache_mb"],
                                         with_events=values["events"])
    origins = [o.strip() for o in (values["cors_origins"] or "").split(",") if o.strip()]
    if origins:
        CORS(app, resources={r"/api/*": {"origins": origins}},
             allow_headers=["Authorization", "Content-Type"], methods=["GET", "POST", "DELETE"])
    errors.register(app)
    app.register_blueprint(routes.bp)
    app.register_blueprint(events.bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        # Which worker process answered: for operators and the multi-worker tests.
        response.headers["X-Chancery-Worker"] = str(os.getpid())
        return response

    return app
