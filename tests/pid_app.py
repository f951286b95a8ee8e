"""A WSGI app for testing the gunicorn worker alone: it answers with its process id, /slow after a pause."""
from __future__ import annotations

import os
import time

SLOW_SECONDS = 3.0


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/slow":
        time.sleep(SLOW_SECONDS)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
