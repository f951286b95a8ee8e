"""Run the API under gunicorn, the production WSGI server, with worker processes."""
from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication


class Server(BaseApplication):
    """A gunicorn application whose workers each build the Flask app once."""

    def __init__(self, config: dict, bind: str, workers: int, threads: int = 1, read_timeout: float = 10.0,
                 write_nice: int = 10, warm_seconds: float = 1.0):
        from chancery import settings
        from chancery.search import entities
        # Loaded once here, before gunicorn forks: every worker, a respawned one too, starts
        # with the gazetteers and models (0.5-1 s and ~135 MB each) in pages it shares.
        entities.load()
        # The workers' modules too (Flask, Whoosh, SciPy: ~0.5 s a worker, on cores both
        # workers share at start); importing opens no file, so it is safe before the fork.
        import chancery.api  # noqa: F401
        import chancery.search.searcher  # noqa: F401
        # Out of the garbage collector's reach: a collection in a worker writes to every
        # object it walks, and each page it writes to becomes that worker's own copy.
        gc.freeze()
        self.config_values = config
        # Read by chancery.worker.Worker, in the event loop.
        self.read_timeout = read_timeout
        self.write_nice = write_nice
        self.warm_seconds = warm_seconds
        self.max_request_bytes = settings.resolve(config)["max_request_bytes"]
        self.server_options = {
            "bind": bind,
            "workers": workers,
            # Threads that take only whole requests, read by the event loop: a slow client
            # holds none (chancery/worker.py).
            "worker_class": "chancery.worker.Worker",
            "threads": threads,
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
        """Build a worker's app and prepare the index's current version before the worker takes requests."""
        from chancery.api import create_app
        from chancery.search.warming import Warmer
        app = create_app(self.config_values)
        service = app.extensions["chancery"]
        service.prepare()
        if self.warm_seconds > 0:
            Warmer(service, self.warm_seconds).start()
        return app


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(index_dir, workers: int = 2, env: dict | None = None, cwd=None, wait: float = 60.0,
           new_session: bool = False):
    """Start 'chancery serve' on a free loopback port; return (process, base URL) once it answers."""
    import os
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request
    port = free_port()
    # A file, not a pipe: nobody reads a pipe while the server runs, and a full one blocks it.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "-m", "chancery", "serve", "--index-dir", str(index_dir),
                                "--port", str(port), "--workers", str(workers)], cwd=cwd,
                               env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log,
                               start_new_session=new_session)
    process.log = log
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=wait) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    log.seek(0)
    errors = log.read().decode(errors="replace")[-2000:]
    log.close()
    raise RuntimeError("the server did not start: " + errors)


def stop(process) -> None:
    """Stop a launched server and wait for it."""
    import signal
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    finally:
        process.kill()
        process.log.close()
