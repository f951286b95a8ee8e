"""The production server: gunicorn with two workers, writes seen by every worker."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from conftest import TOKEN, start_server, stop_server

pytestmark = pytest.mark.server


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers.get("X-Chancery-Worker")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), error.headers.get("X-Chancery-Worker")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, base = start_server(tmp_path_factory.mktemp("served"), {"CHANCERY_API_TOKEN": TOKEN})
    yield base
    stop_server(process)


def ask_every_worker(base, path, workers=2, attempts=300):
    """GET a path on fresh connections until each worker has answered; return the answers."""
    seen = {}
    for _ in range(attempts):
        status, body, worker = call(base, "GET", path)
        seen.setdefault(worker, []).append((status, body))
        if len(seen) >= workers:
            break
    assert len(seen) >= workers, "only one worker answered"
    return seen


def test_served_by_gunicorn_with_two_workers(server):
    status, body, _ = call(server, "GET", "/api/health")
    assert status == 200 and body["documents"] == 5
    ask_every_worker(server, "/api/health")


def test_write_is_seen_by_every_worker_then_deleted(server):
    record = {"id": "live-1", "title": "Zanzibar summit opens today", "body": "Envoys met in Zanzibar."}
    status, body, writer = call(server, "POST", "/api/articles", record, token=TOKEN)
    assert status == 200 and body["added"] == 1
    answers = ask_every_worker(server, "/api/search?q=Zanzibar")
    for worker, replies in answers.items():
        assert all(reply["total"] == 1 for _, reply in replies), worker
    status, body, _ = call(server, "DELETE", "/api/articles/live-1", token=TOKEN)
    assert status == 200
    answers = ask_every_worker(server, "/api/search?q=Zanzibar")
    for worker, replies in answers.items():
        assert all(reply["total"] == 0 for _, reply in replies), worker
    assert call(server, "GET", "/api/articles/live-1")[0] == 404


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_writes_without_the_token_are_refused(server, token):
    status, body, _ = call(server, "POST", "/api/articles", {"title": "A title here", "body": "x"}, token=token)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _, _ = call(server, "DELETE", "/api/articles/anything", token=token)
    assert status == 401
    assert call(server, "GET", "/api/health")[1]["documents"] == 5


def test_the_master_loads_the_gazetteers_before_it_forks_workers(tmp_path):
    import subprocess
    import sys
    code = ("from chancery.server import Server; from chancery.search import entities; "
            "assert entities.gazetteer.cache_info().currsize == 0; "
            "import gc; assert gc.get_freeze_count() == 0; "
            f"Server({{'index_dir': {str(tmp_path)!r}}}, '127.0.0.1:0', 2); "
            "print(entities.gazetteer.cache_info().currsize, gc.get_freeze_count() > 100_000)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 True"             # loaded, and frozen out of the collector's walks
