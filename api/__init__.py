"""Chancery's HTTP layer: the Flask app, its routes, errors, OpenAPI and the search page."""
