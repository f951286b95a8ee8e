"""Run the API under gunicorn, the production WSGI server, with worker processes."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class Server(BaseApplication):
    """A gunicorn application whose workers each build the Flask app once."""

    def __init__(self, config: dict, bind: str, workers: int):
        self.config_values = config
        self.server_options = {
            "bind": bind,
            "workers": workers,
            "worker_class": "sync",
            "timeout": 60,
            "accesslog": "-",
            "errorlog": "-",
            # Each worker opens its own searcher: Whoosh searchers are not fork-safe to share.
            "preload_app": False,
        }
        super().__init__()

    def load_config(self):
        for key, value in self.server_options.items():
            self.cfg.set(key, value)

    def load(self):
        from api import create_app
        return create_app(self.config_values)
