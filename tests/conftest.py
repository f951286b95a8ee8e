"""Shared fixtures: a fresh index of the seeds per test module, a CLI runner."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from chancery.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = Path(__file__).resolve().parent / "acceptance" / "seeds-gold.json"
SHARED_GOLD = ROOT.parent / "shared" / "acceptance" / "seeds-gold.json"
# CI sets this so that a test needing a missing tool fails instead of skipping.
REQUIRE_ALL = os.environ.get("CHANCERY_REQUIRE_ALL_TESTS") == "1"


def skip_or_fail(reason: str):
    """Skip a test for a missing tool, or fail when CI requires every test to run."""
    if REQUIRE_ALL:
        pytest.fail(f"required test cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A copy of seeds/ that a test may change."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory) -> Path:
    """An index of seeds/ in a temporary folder, built with the real CLI."""
    index_dir = tmp_path_factory.mktemp("index")
    result = CliRunner().invoke(cli, ["index", "--index-dir", str(index_dir), str(SEEDS)])
    assert result.exit_code == 0, result.output
    return index_dir


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads(GOLD.read_text(encoding="utf-8"))


def export(index_dir: Path) -> list[dict]:
    """Return what 'chancery export' writes, parsed."""
    result = CliRunner().invoke(cli, ["export", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


TOKEN = "test-token-123"


@pytest.fixture
def index_dir(tmp_path) -> Path:
    """A fresh index of seeds/ for one test."""
    target = tmp_path / "index"
    result = CliRunner().invoke(cli, ["index", "--index-dir", str(target), str(SEEDS)])
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture
def app(index_dir):
    from chancery.api import create_app
    return create_app({"index_dir": str(index_dir), "api_token": TOKEN})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def service(index_dir):
    from chancery.search.searcher import Service
    return Service(index_dir)


def seed_ids() -> dict[str, str]:
    """Map each seed file name to the id its article gets."""
    from chancery.search import articles
    meta = json.loads((SEEDS / "_metadata.json").read_text())
    return {path.name: articles.from_text(path.read_text(encoding="utf-8"), meta.get(path.name)).id
            for path in sorted(SEEDS.glob("*.txt"))}


def start_server(index_dir: Path, env: dict | None = None, workers: int = 2):
    """Index seeds/ into index_dir and start 'chancery serve' on it; return (process, base URL)."""
    import subprocess
    import sys
    from chancery.server import launch
    subprocess.run([sys.executable, "-m", "chancery", "index", "--index-dir", str(index_dir), str(SEEDS)],
                   check=True, cwd=ROOT, capture_output=True)
    try:
        return launch(index_dir, workers, env, cwd=ROOT, wait=30)
    except RuntimeError as error:
        pytest.fail(str(error))


def stop_server(process) -> None:
    """Stop a server started by start_server."""
    from chancery.server import stop
    stop(process)
