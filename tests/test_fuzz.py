"""Fuzzing from the OpenAPI document (Schemathesis) against the real app: no 5xx, answers as documented.

A small fixed budget (the same generated cases on every run); the larger run is
`python -m bench.fuzz`, with its figures in docs/reliability.md.
"""
from __future__ import annotations

import pytest

from bench import fuzz
from conftest import TOKEN

EXAMPLES = 15       # per operation and mode


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    import subprocess
    import sys
    from chancery.api import create_app
    from conftest import ROOT, SEEDS
    index_dir = tmp_path_factory.mktemp("fuzzed")
    subprocess.run([sys.executable, "-m", "chancery", "index", "--index-dir", str(index_dir), str(SEEDS)],
                   check=True, cwd=ROOT, capture_output=True)
    return create_app({"index_dir": str(index_dir), "api_token": TOKEN, "lock_timeout": 1})


@pytest.mark.parametrize("path, method", fuzz.OPERATIONS)
def test_generated_requests_get_no_server_error_and_documented_answers(app, path, method):
    figures = fuzz.fuzz(app, TOKEN, EXAMPLES, operations=[(path, method)])
    assert figures["requests"] >= 1
    assert figures["failures"] == {}, figures
