"""Fuzz the API from its OpenAPI document with Schemathesis, in process, and count what breaks.

    python -m bench.fuzz [--examples 1000] [--seed 1]

Builds an index of seeds/ in a temporary folder, then for every operation of
api/openapi.json calls the app with generated requests, valid (positive) and
invalid (negative), with the API token, and checks each answer: no 5xx, a
documented status, content type, headers and body schema. Prints the requests
made, the statuses seen and each distinct failure; the test suite runs it at a
small fixed budget and asserts there are none.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, seed as hypothesis_seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from bench import common

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
DOCUMENT = json.loads((common.ROOT / "api" / "openapi.json").read_text(encoding="utf-8"))
# The API's operations; the search page (/) is HTML and is tested in a browser.
OPERATIONS = [(path, method) for path, methods in DOCUMENT["paths"].items() if path.startswith("/api/")
              for method in methods]


def modes(path: str, method: str) -> list[GenerationMode]:
    """Return the generation modes of an operation: invalid input only where it takes some."""
    operation = DOCUMENT["paths"][path][method]
    takes_input = bool(operation.get("parameters") or operation.get("requestBody") or "{" in path)
    return list(GenerationMode) if takes_input else [GenerationMode.POSITIVE]


def fuzz(app, token: str, examples: int, seed: int | None = None, operations=OPERATIONS) -> dict:
    """Call the app (a WSGI app, or a running server's URL) with generated requests.

    Return the count, statuses and distinct failures.
    """
    if isinstance(app, str):
        schema = schemathesis.openapi.from_url(app + "/api/openapi.json")
    else:
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    statuses, server_errors, failures, calls = Counter(), Counter(), {}, 0
    for path, method in operations:
        for mode in modes(path, method):
            operation = schema[path][method]

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, derandomize=seed is None, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                nonlocal calls
                # Hypothesis seeds the global random module alike for every case, and Whoosh
                # names new segments from it: the same name twice fails a commit (a worker
                # process is reseeded when it starts, so this is the harness's doing).
                random.seed()
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                calls += 1
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors[f"{method.upper()} {path}"] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (AssertionError, BaseExceptionGroup) as error:   # recorded, without stopping
                    for failure in getattr(error, "exceptions", [error]):
                        key = f"{method.upper()} {path} ({mode.value}): {type(failure).__name__}"
                        failures.setdefault(key, f"{response.status_code} {str(failure)[:300]} "
                                                 f"{response.text[:300]} <- {case.body!r:.300}")

            if seed is not None:
                run = hypothesis_seed(seed)(run)
            try:
                run()
            except Unsatisfiable:
                pass        # no invalid value exists (a path parameter is any string)
    return {"requests": calls, "statuses": dict(sorted(statuses.items())), "server_errors": dict(server_errors),
            "failures": failures}


def main(argv: list[str] | None = None) -> dict:
    """Fuzz an index of seeds/ and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="generated requests per operation and mode")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reads-only", action="store_true", help="skip POST and DELETE (the index stays the seeds)")
    parser.add_argument("--server", action="store_true", help="call a real `chancery serve`, not the app in process")
    args = parser.parse_args(argv)
    operations = [(path, method) for path, method in OPERATIONS if not args.reads_only or method == "get"]
    from chancery.api import create_app
    from chancery.server import launch, stop
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "chancery", "index", "--index-dir", folder,
                        str(Path(common.ROOT, "seeds"))], check=True, capture_output=True)
        if args.server:
            process, app = launch(folder, 2, {"CHANCERY_API_TOKEN": "fuzz-token", "CHANCERY_LOCK_TIMEOUT": "1"})
        else:
            process, app = None, create_app({"index_dir": folder, "api_token": "fuzz-token", "lock_timeout": 1})
        try:
            figures = fuzz(app, "fuzz-token", args.examples, args.seed, operations)
        finally:
            if process is not None:
                stop(process)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
